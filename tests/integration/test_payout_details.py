"""A closer's payout details in manual mode: validated, sealed at rest, shown masked, every change audited
and emailed; the same on the settings page and in the API."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from closerhub.audit.models import AuditEntry
from closerhub.extensions import db
from closerhub.payments.payouts.details import aba_checksum_ok
from closerhub.payments.payouts.details_models import PayoutDetails
from tests.conftest import _logged_in
from tests.integration.payouts_support import emails
from tests.integration.test_api_accounts import bearer

IBAN = "DE89370400440532013000"
SEPA_FORM = {"scheme": "iban", "holder": "Claire Dupont", "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"}
US_FORM = {"scheme": "us", "holder": "Jake Miller", "routing_number": "011000015", "account_number": "000123456789"}
UK_FORM = {"scheme": "uk", "holder": "Ann Smith", "sort_code": "12-34-56", "account_number": "12345678"}
OTHER_FORM = {
    "scheme": "other",
    "holder": "Priya Rao",
    "bank_name": "State Bank of India",
    "account_number": "30012345678",
    "bic": "SBININBB",
    "country": "IN",
}


def rows() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count(PayoutDetails.id))) or 0)


def test_the_aba_checksum_accepts_a_real_routing_number_and_refuses_a_wrong_digit() -> None:
    assert aba_checksum_ok("011000015") and aba_checksum_ok("021000021")
    assert not aba_checksum_ok("011000016") and not aba_checksum_ok("12345678") and not aba_checksum_ok("12345678a")


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({**SEPA_FORM, "iban": "DE89370400440532013001"}, "iban", "This is not a valid IBAN"),
        ({**SEPA_FORM, "bic": "COBADE"}, "bic", "This is not a valid BIC"),
        ({**US_FORM, "routing_number": "011000016"}, "routing_number", "not a valid ABA routing number"),
        ({**US_FORM, "account_number": "12"}, "account_number", "4 to 17 digits"),
        ({**UK_FORM, "sort_code": "12-34"}, "sort_code", "A sort code has 6 digits"),
        ({**OTHER_FORM, "country": "XX"}, "country", "Choose the country"),
        ({**OTHER_FORM, "bic": ""}, "bic", "Enter the bank's BIC"),
        ({**SEPA_FORM, "holder": ""}, "holder", "required"),
        ({**SEPA_FORM, "scheme": "bitcoin"}, "scheme", "Choose how you want to be paid."),
    ],
)
def test_bad_payout_details_are_refused_beside_their_field_and_nothing_is_stored(
    closer_client: FlaskClient, closer: Any, form: dict[str, str], field: str, message: str
) -> None:
    response = closer_client.post("/payouts/setup/details", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = html.unescape(page.split(f'id="{field}-err">', 1)[1].split("<", 1)[0])
    assert message.lower() in error.lower()
    assert rows() == 0 and emails(closer.email, "payout_details_changed") == []


@pytest.mark.parametrize("form", [SEPA_FORM, US_FORM, UK_FORM, OTHER_FORM])
def test_each_scheme_is_accepted_and_stored_sealed(closer_client: FlaskClient, closer: Any, form: dict) -> None:
    assert closer_client.post("/payouts/setup/details", data=form).status_code == 302
    [row] = db.session.scalars(select(PayoutDetails)).all()
    assert row.scheme.value == form["scheme"] and form["account_number" if "account_number" in form else "bic"]
    raw = db.session.execute(text("SELECT sealed, display FROM payout_details")).one()
    secret = form.get("iban", form.get("account_number", "")).replace(" ", "")
    assert secret not in raw.sealed and secret not in str(raw.display)


def test_saved_details_are_encrypted_at_rest_masked_on_the_page_audited_and_emailed(
    closer_client: FlaskClient, closer: Any
) -> None:
    saved = closer_client.post("/payouts/setup/details", data=SEPA_FORM, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "Your payout details are saved" in page
    assert "••••3000" in page and IBAN not in page and "0532 0130" not in page
    # At rest: the raw columns hold no IBAN, only a Fernet token and the masked form.
    sealed, display = db.session.execute(text("SELECT sealed, display FROM payout_details")).one()
    assert IBAN not in sealed and IBAN not in str(display) and sealed.startswith("gAAAA")
    assert (json.loads(display) if isinstance(display, str) else display)["account"] == "••••3000"
    # Audited without the secret, emailed to the closer masked.
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payout_details.changed")).all()
    assert entry.actor_id == closer.id and entry.before is None
    assert entry.after == {
        "scheme": "iban",
        "country": "DE",
        "holder": "Claire Dupont",
        "account": "••••3000",
        "bank": "COBADEFFXXX",
    }
    assert IBAN not in json.dumps(entry.after)
    [mail] = emails(closer.email, "payout_details_changed")
    assert mail.subject == "Your CloserHub payout details were changed"
    assert "••••3000" in mail.text_body and IBAN not in mail.text_body and IBAN not in mail.html_body

    # A change: a second audit row with the masked before and after, a second email.
    assert closer_client.post("/payouts/setup/details", data=US_FORM).status_code == 302
    changes = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "payout_details.changed").order_by(AuditEntry.id)
    ).all()
    assert [c.after["account"] for c in changes] == ["••••3000", "••••6789"]
    assert changes[1].before["account"] == "••••3000"
    assert len(emails(closer.email, "payout_details_changed")) == 2
    # The same details again: nothing to record, nobody to tell.
    assert closer_client.post("/payouts/setup/details", data=US_FORM).status_code == 302
    assert len(emails(closer.email, "payout_details_changed")) == 2


def test_the_api_reads_and_replaces_payout_details_masked_only(app: Flask, client: FlaskClient, closer: Any) -> None:
    headers = bearer(closer)
    assert client.get("/api/v1/closers/me/payout-details", headers=headers).status_code == 404
    bad = client.put(
        "/api/v1/closers/me/payout-details", headers=headers, json={**SEPA_FORM, "iban": "DE00370400440532013000"}
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {e["field"] for e in bad.get_json()["errors"]} == {"iban"} and rows() == 0
    put = client.put("/api/v1/closers/me/payout-details", headers=headers, json=SEPA_FORM)
    assert put.status_code == 200, put.get_data(as_text=True)
    got = client.get("/api/v1/closers/me/payout-details", headers=headers)
    for response in (put, got):
        body = response.get_json()
        assert body["account"] == "••••3000" and body["bank"] == "COBADEFFXXX" and body["country"] == "DE"
        assert IBAN not in response.get_data(as_text=True)
    assert len(emails(closer.email, "payout_details_changed")) == 1


def test_admins_see_only_masked_details_and_other_roles_cannot_use_the_closer_endpoints(
    client: FlaskClient, closer: Any, business_user: Any, admin_user: Any
) -> None:
    client.put("/api/v1/closers/me/payout-details", headers=bearer(closer), json=SEPA_FORM)
    for user in (business_user, admin_user):
        assert client.get("/api/v1/closers/me/payout-details", headers=bearer(user)).status_code == 403
        assert client.put("/api/v1/closers/me/payout-details", headers=bearer(user), json=SEPA_FORM).status_code == 403
    assert rows() == 1


def test_a_french_closer_reads_the_payout_details_errors_in_french(app: Flask, make_user: Any) -> None:
    closer = make_user("closer", language="fr")
    response = _logged_in(app, closer).post("/payouts/setup/details", data={**SEPA_FORM, "iban": "DE00"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Ce n’est pas un IBAN valide" in page and "Vos coordonnées bancaires" in page
    assert rows() == 0
