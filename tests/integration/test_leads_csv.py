"""CSV import of leads: shapes of files people really upload, per-row errors, limits, the report page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.core.errors import ValidationError
from closerhub.extensions import db
from closerhub.leads import csv_import as lead_import
from closerhub.leads import service as leads
from closerhub.leads.models import Lead
from tests.conftest import UserFactory
from tests.integration.test_leads import add_lead

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def stored() -> list[tuple[Any, ...]]:
    """(email, name, phone, timezone, language, needs, source) of every lead, by id."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Lead.email, Lead.name, Lead.phone_e164, Lead.timezone, Lead.language, Lead.needs, Lead.source).order_by(
            Lead.id
        )
    )
    return [tuple(r) for r in rows]


def run_import(owner: User, data: bytes) -> lead_import.ImportReport:
    business = db.session.get(Business, owner.business_id)
    return leads.import_csv(db.session, business, data, actor=owner, now=NOW)


GOOD = (
    "name,email,phone,timezone,language,needs,source\r\n"
    "Ada Lovelace,ada@example.com,+44 20 7946 0958,Europe/London,en,Scale her agency,webinar\r\n"
    "Émile Zola,EMILE@example.fr,+33 6 12 34 56 78,Europe/Paris,fr,Plus de clients,\r\n"
)


def test_a_good_file_creates_every_lead(business_user: User) -> None:
    report = run_import(business_user, GOOD.encode())
    assert (report.created, report.updated, report.errors) == (2, 0, [])
    assert stored() == [
        ("ada@example.com", "Ada Lovelace", "+442079460958", "Europe/London", "en", "Scale her agency", "webinar"),
        ("emile@example.fr", "Émile Zola", "+33612345678", "Europe/Paris", "fr", "Plus de clients", "csv"),
    ]
    assert {lead.business_id for lead in db.session.scalars(select(Lead))} == {business_user.business_id}


def test_a_bom_semicolons_and_header_aliases_in_any_case_are_understood(business_user: User) -> None:
    data = (
        "\ufeffFULL NAME;E-mail;Phone Number;Time Zone;Decision Makers;Favourite colour\n"
        'Ada Lovelace;ada@example.com;+44 20 7946 0958;Europe/London;"Her board; the CFO";blue\n'
    ).encode()
    report = run_import(business_user, data)
    assert (report.created, report.errors, report.ignored_columns) == (1, [], ["Favourite colour"])
    lead = db.session.scalar(select(Lead))
    assert (lead.name, lead.decision_makers, lead.timezone) == ("Ada Lovelace", "Her board; the CFO", "Europe/London")


def test_bad_rows_are_reported_with_line_and_messages_and_the_others_are_imported(business_user: User) -> None:
    data = (
        b"Name,Email,Phone number,Time zone\n"
        b"Good One,good1@example.com,,America/New_York\n"
        b",no-name@example.com,,UTC\n"  # line 3
        b"Bad Mail,not-an-email,,UTC\n"  # line 4
        b"\n"  # a blank line is skipped, the line count goes on
        b"Bad Phone,phone@example.com,0612345678,Europe/Paris\n"  # line 6
        b'Bad Zone,zone@example.com,+1 212 555 0123,"Paris, France"\n'  # line 7
        b"Everything Wrong,,12,Moon/Base\n"  # line 8
        b"Too,many@example.com,,UTC,extra\n"  # line 9
        b"Good Two,good2@example.com,+12125550123,Asia/Tokyo\n"
    )
    report = run_import(business_user, data)
    assert (report.created, report.updated) == (2, 0)
    assert [(e.line, e.errors) for e in report.errors] == [
        (3, {"Name": "This field is required."}),
        (4, {"Email": "Enter a valid email address."}),
        (
            6,
            {
                "Phone number": "Enter the number in international format, starting with + and the country code "
                "(e.g. +33 6 12 34 56 78)."
            },
        ),
        (7, {"Time zone": "Unknown time zone; use an IANA name such as Europe/Paris."}),
        (
            8,
            {
                "Email": "Email is required.",
                "Phone number": "Enter the number in international format, starting with + and the country code "
                "(e.g. +33 6 12 34 56 78).",
                "Time zone": "Unknown time zone; use an IANA name such as Europe/Paris.",
            },
        ),
        (9, {"row": "This row has 5 cells but the header has 4; check the delimiters."}),
    ]
    assert [row[0] for row in stored()] == ["good1@example.com", "good2@example.com"]


def test_the_rejected_rows_come_back_as_csv_with_an_errors_column(business_user: User) -> None:
    data = b"name,email,timezone\nAda,ada@example.com,UTC\nBob,bob@,UTC\n"
    rejected = list(csv.reader(io.StringIO(run_import(business_user, data).rejected_csv())))
    assert rejected == [
        ["name", "email", "timezone", "errors"],
        ["Bob", "bob@", "UTC", "email: Enter a valid email address."],
    ]


def test_a_later_row_with_the_same_email_updates_the_lead_an_earlier_row_created(business_user: User) -> None:
    data = (
        b"name,email,timezone,needs,phone\n"
        b"Ada First,ada@example.com,UTC,First needs,+44 20 7946 0958\n"
        b"Ada Second,ADA@example.com,Europe/London,,\n"
    )
    report = run_import(business_user, data)
    assert (report.created, report.updated, report.errors) == (1, 1, [])
    # The later row wins where it says something; its blank cells erase nothing.
    assert stored() == [("ada@example.com", "Ada Second", "+442079460958", "Europe/London", "en", "First needs", "csv")]


def test_a_row_with_a_known_email_updates_the_existing_lead(business_user: User, make_user: UserFactory) -> None:
    add_lead(business_user, email="ada@example.com", name="Ada Old", source="webinar")
    add_lead(make_user("business"), email="ada@example.com", name="Other tenant's Ada")
    report = run_import(business_user, b"name,email,timezone\nAda New,ada@example.com,Europe/London\n")
    assert (report.created, report.updated) == (0, 1)
    assert [(r[1], r[6]) for r in stored()] == [("Ada New", "webinar"), ("Other tenant's Ada", "webinar")]


def test_html_and_sql_in_cells_are_stored_as_text(business_user: User) -> None:
    name = "<img src=x onerror=alert(1)>"
    needs = "'); DROP TABLE leads; --"
    run_import(business_user, f'name,email,timezone,needs\n"{name}",x@example.com,UTC,"{needs}"\n'.encode())
    assert stored()[0][1] == name and stored()[0][5] == needs


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is not a CSV file."),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "This is not a CSV file."),
        ("name,email,timezone\nZoë,z@example.com,UTC\n".encode("latin-1"), "The file is not UTF-8 text."),
        (b"email,phone\nada@example.com,+44 20 7946 0958\n", "The header row needs the columns “name”, “timezone”"),
        (b"name,full name,email,timezone\n", "The columns “name” and “full name” both give the name; keep one."),
        (b'name,email,timezone\n"Ada,ada@example.com,UTC\n', "the CSV cannot be read"),
    ],
)
def test_a_file_that_cannot_be_read_imports_nothing_and_says_why(
    business_user: User, data: bytes, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        run_import(business_user, data)
    assert message in caught.value.field_errors["file"]
    assert stored() == []


def test_more_than_5000_rows_are_refused(business_user: User) -> None:
    rows = "".join(f"Lead {i},lead{i}@example.com,UTC\n" for i in range(5001))
    with pytest.raises(ValidationError) as caught:
        run_import(business_user, ("name,email,timezone\n" + rows).encode())
    assert caught.value.field_errors["file"] == "The file has more than 5,000 rows; split it into smaller files."
    assert stored() == []


def test_exactly_5000_rows_are_imported(business_user: User) -> None:
    rows = "".join(f"Lead {i},lead{i}@example.com,UTC\n" for i in range(5000))
    report = run_import(business_user, ("name,email,timezone\n" + rows).encode())
    assert (report.created, report.errors) == (5000, [])
    assert len(stored()) == 5000


def test_a_file_over_2_mb_is_refused(business_user: User) -> None:
    data = b"name,email,timezone,notes\n" + b"Ada,ada@example.com,UTC," + b"x" * (2 * 1024 * 1024) + b"\n"
    with pytest.raises(ValidationError) as caught:
        run_import(business_user, data)
    assert caught.value.field_errors["file"] == "The file is 2.0 MB; the limit is 2 MB. Split it into smaller files."


# --- the pages -----------------------------------------------------------------------------


def upload(client: FlaskClient, data: bytes, filename: str = "leads.csv") -> Any:
    return client.post("/leads/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def test_the_report_page_shows_counts_errors_and_offers_the_rejected_rows(
    business_client: FlaskClient, business_user: User
) -> None:
    assert "multipart/form-data" in business_client.get("/leads/import").get_data(as_text=True)
    data = b"name;email;timezone\nAda;ada@example.com;UTC\n<b>Bob</b>;bob@;UTC\n"
    response = upload(business_client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 lead created" in page and "1 row rejected" in page
    assert 'data-line="3"' in page and "Enter a valid email address." in page
    assert "<b>Bob</b>" not in page and "&lt;b&gt;Bob&lt;/b&gt;" in page
    rejected = unescape(re.search(r'name="rejected" value="([^"]*)"', page, re.S).group(1))  # type: ignore[union-attr]
    download = business_client.post("/leads/import/rejected.csv", data={"rejected": rejected})
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [
        ["name", "email", "timezone", "errors"],
        ["<b>Bob</b>", "bob@", "UTC", "email: Enter a valid email address."],
    ]
    assert [r[0] for r in stored()] == ["ada@example.com"]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"PK\x03\x04rest-of-a-zip", "leads.xlsx", "Upload a .csv file"),
        (b"\x89PNG\r\n\x1a\n", "leads.csv", "This is not a CSV file."),
        (b"", "leads.csv", "The file is empty."),
    ],
)
def test_a_wrong_upload_shows_the_form_again_with_the_reason(
    business_client: FlaskClient, business_user: User, data: bytes, filename: str, message: str
) -> None:
    response = upload(business_client, data, filename)
    assert response.status_code == 422
    assert message in unescape(response.get_data(as_text=True))
    assert stored() == []


def test_posting_without_a_file_asks_for_one(business_client: FlaskClient, business_user: User) -> None:
    response = business_client.post("/leads/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a CSV file to import." in response.get_data(as_text=True)


def test_an_upload_far_over_the_limit_gets_a_clear_message(business_client: FlaskClient, business_user: User) -> None:
    response = upload(business_client, b"name,email,timezone\n" + b"x" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert "The file is larger than 2 MB." in response.get_data(as_text=True)
    assert stored() == []


def test_an_upload_just_over_the_limit_names_its_size(business_client: FlaskClient, business_user: User) -> None:
    response = upload(business_client, b"name,email,timezone\n" + b"x" * (2 * 1024 * 1024 + 100))
    assert response.status_code == 422
    assert "The file is 2.0 MB; the limit is 2 MB." in response.get_data(as_text=True)


def test_closers_cannot_import(closer_client: FlaskClient) -> None:
    assert upload(closer_client, GOOD.encode()).status_code == 403
    assert stored() == []


FORMULAS = b'name,email,timezone\n"=HYPERLINK(""http://evil"",""x"")",bad@,UTC\n+cmd,@bad,-1+1\n'


def test_the_rejected_rows_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(business_user: User) -> None:
    rejected = list(csv.reader(io.StringIO(run_import(business_user, FORMULAS).rejected_csv())))
    assert [row[:3] for row in rejected] == [
        ["name", "email", "timezone"],
        ['\'=HYPERLINK("http://evil","x")', "bad@", "UTC"],
        ["'+cmd", "'@bad", "'-1+1"],
    ]
    assert stored() == []


def test_the_rejected_rows_download_is_neutralised_even_when_the_posted_text_is_not(
    business_client: FlaskClient, business_user: User
) -> None:
    page = upload(business_client, FORMULAS).get_data(as_text=True)
    carried = unescape(re.search(r'name="rejected" value="([^"]*)"', page, re.S).group(1))  # type: ignore[union-attr]
    raw = 'name,errors\r\n"=HYPERLINK(""http://evil"",""x"")",forged\r\n'
    for text in (carried, raw):
        download = business_client.post("/leads/import/rejected.csv", data={"rejected": text})
        assert download.status_code == 200
        rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
        assert rows[1][0] == '\'=HYPERLINK("http://evil","x")', text
    bad = business_client.post("/leads/import/rejected.csv", data={"rejected": 'a,"b\n'})
    assert bad.status_code == 400
