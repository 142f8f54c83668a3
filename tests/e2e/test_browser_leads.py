"""Leads in a real Chromium: the nav link, a CSV import with a rejected row, its download, the lead's page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from closerhub.extensions import db
from closerhub.leads.models import Lead
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_business_imports_leads_downloads_the_rejected_row_and_opens_a_lead(page, make_user, tmp_path: Path) -> None:
    make_user("business", email="omar@acme.example", name="Omar", business_name="Acme Coaching")
    page.goto("/login")
    page.get_by_label("Email").fill("omar@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")

    page.get_by_role("navigation", name="Main").locator("summary", has_text="Sales").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.wait_for_url("**/leads")
    page.get_by_role("link", name="Import CSV").click()
    upload = tmp_path / "leads.csv"
    upload.write_bytes(
        "\ufeffFull name;Email;Time zone;Phone number;Needs\n"
        "Ada Lovelace;ada@example.com;Europe/London;+44 20 7946 0958;Scale her agency\n"
        "Bob;bob@;UTC;;\n".encode()
    )
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Import").click()
    page.get_by_test_id("import-summary").wait_for()
    assert "1 lead created" in page.get_by_test_id("import-summary").inner_text()
    assert "Enter a valid email address." in page.get_by_test_id("import-errors").inner_text()

    with page.expect_download() as info:
        page.get_by_role("button", name="Download the rejected rows (CSV)").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["Full name", "Email", "Time zone", "Phone number", "Needs", "errors"],
        ["Bob", "bob@", "UTC", "", "", "Email: Enter a valid email address."],
    ]

    db.session.commit()
    lead = db.session.scalar(select(Lead))
    assert (lead.name, lead.phone_e164, lead.source) == ("Ada Lovelace", "+442079460958", "csv")
    page.goto("/leads?q=ada")
    page.get_by_role("link", name="Ada Lovelace").click()
    assert "Scale her agency" in page.get_by_test_id("lead-context").inner_text()
    assert "London" in page.get_by_test_id("lead-contact").inner_text()
    assert page.js_errors == []
