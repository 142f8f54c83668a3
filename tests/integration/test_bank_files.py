"""The admin's bank files of a manual payout run: the CSV with every payee's details (blocked ones listed),
and a SEPA credit transfer file (pain.001) for EUR payouts; downloads are admin-only and audited."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sepaxml
import xmlschema
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.audit.models import AuditEntry
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.commands import BankDetails
from closerhub.payments.payouts.models import PayoutRun
from closerhub.payments.payouts.service import run_payouts
from tests.integration.payouts_support import RUN_AT, give_available, payouts
from tests.integration.test_booking_lean_path import counted

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
SCHEMA = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
PLATFORM = {
    "PLATFORM_ACCOUNT_NAME": "CloserHub SAS",
    "PLATFORM_IBAN": "FR7630006000011234567890189",
    "PLATFORM_BIC": "AGRIFRPP",
}


@pytest.fixture
def run(make_user: Any) -> dict[str, Any]:
    """A manual run paying Alice (German IBAN, EUR) and Carol (US account, USD); Bob (no details, EUR) is skipped."""
    alice = make_user("closer", name="Alice Martin", email="alice@example.com")
    bob = make_user("closer", name="=Bob", email="bob@example.com")
    carol = make_user("closer", name="Carol Jones", email="carol@example.com")
    payout_details.save(
        db.session,
        alice,
        BankDetails(scheme="iban", holder="Alice Martin", iban="DE89370400440532013000", bic="COBADEFFXXX"),
        RUN_AT,
    )
    payout_details.save(
        db.session,
        carol,
        BankDetails(scheme="us", holder="Carol Jones", routing_number="021000021", account_number="987654321"),
        RUN_AT,
    )
    give_available(alice, 123456)
    give_available(bob, 5000)
    give_available(carol, 70000, "USD")
    run_payouts(db.session, RUN_AT, triggered_by="cli")
    by_closer = {p.closer_id: p for p in payouts()}
    return {
        "id": payouts()[0].run_id,
        "alice": by_closer[alice.id],
        "bob": bob,
        "carol": by_closer[carol.id],
    }


def downloads() -> list[AuditEntry]:
    db.session.rollback()
    stmt = select(AuditEntry).where(AuditEntry.action == "payouts.bank_file_downloaded").order_by(AuditEntry.id)
    return list(db.session.scalars(stmt))


def test_the_csv_carries_each_payees_bank_details_and_a_closer_without_them_only_waits_on_the_run_page(
    admin_client: FlaskClient, admin_user: Any, run: dict[str, Any]
) -> None:
    # The rule of manual runs: no payout for a closer without details (was: a blocked payout in the batch).
    page = admin_client.get(f"/admin/payouts/runs/{run['id']}").get_data(as_text=True)
    waiting = page.split('data-testid="waiting-for-details"', 1)[1].split("</ul>", 1)[0]
    assert f'data-testid="waiting-{run["bob"].id}-EUR"' in waiting and "=Bob" in waiting and "50.00" in waiting
    assert 'data-testid="blocked-' not in page
    assert "DE89370400440532013000" not in page  # the run page never shows clear details
    assert f'data-testid="masked-{run["alice"].id}">••••3000 · COBADEFFXXX<' in page  # the admin sees them masked

    confirm = admin_client.get(f"/admin/payouts/runs/{run['id']}/mark-paid").get_data(as_text=True)
    assert 'data-testid="blocked-warning"' not in confirm and "=Bob" not in confirm

    response = admin_client.get(f"/admin/payouts/runs/{run['id']}/batch.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = {r["closer_email"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert set(rows) == {"alice@example.com", "carol@example.com"}
    alice, carol = rows["alice@example.com"], rows["carol@example.com"]
    assert (alice["amount"], alice["currency"], alice["iban"], alice["bic"], alice["blocked"]) == (
        "1234.56",
        "EUR",
        "DE89370400440532013000",
        "COBADEFFXXX",
        "",
    )
    assert alice["account_holder"] == "Alice Martin" and alice["scheme"] == "iban" and alice["country"] == "DE"
    assert (carol["routing_number"], carol["account_number"], carol["currency"]) == ("021000021", "987654321", "USD")
    assert alice["blocked"] == carol["blocked"] == ""
    [entry] = downloads()
    assert entry.actor_id == admin_user.id and entry.object_id == str(run["id"])
    assert entry.after["format"] == "csv" and entry.after["blocked_payout_ids"] == []
    assert "DE89370400440532013000" not in str(entry.after)


def test_the_sepa_file_is_valid_pain_001_with_the_eur_payouts_to_sepa_ibans_only(
    app: Flask, admin_client: FlaskClient, run: dict[str, Any]
) -> None:
    app.config.update(PLATFORM)
    with frozen_at(RUN_AT):
        response = admin_client.get(f"/admin/payouts/runs/{run['id']}/sepa.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    body = response.get_data()
    xmlschema.XMLSchema(str(SCHEMA)).validate(body.decode())  # raises if the file breaks the ISO 20022 schema
    root = ET.fromstring(body)  # noqa: S314  (our own file, just made)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "1"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "1234.56"
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "FR7630006000011234567890189"
    assert info.findtext("p:ReqdExctnDt", namespaces=NS) == "2026-12-08"  # the next bank day after Monday's run
    [tx] = info.findall("p:CdtTrfTxInf", NS)
    assert tx.findtext("p:Amt/p:InstdAmt", namespaces=NS) == "1234.56"
    assert tx.find("p:Amt/p:InstdAmt", NS).get("Ccy") == "EUR"
    assert tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == "DE89370400440532013000"
    assert tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == f"CLOSERHUB-PAYOUT-{run['alice'].id}"
    [entry] = downloads()
    assert entry.after["format"] == "sepa" and entry.after["payout_ids"] == [run["alice"].id]


def test_without_the_platform_account_the_sepa_download_says_what_to_set_and_records_nothing(
    admin_client: FlaskClient, run: dict[str, Any]
) -> None:
    response = admin_client.get(f"/admin/payouts/runs/{run['id']}/sepa.xml", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "set PLATFORM_ACCOUNT_NAME, PLATFORM_IBAN, PLATFORM_BIC in the environment" in text
    assert downloads() == []


def test_bank_file_downloads_are_for_admins_only(
    closer_client: FlaskClient, business_client: FlaskClient, client: FlaskClient, app: Flask, run: dict[str, Any]
) -> None:
    app.config.update(PLATFORM)
    for c in (closer_client, business_client):
        for path in ("batch.csv", "sepa.xml"):
            assert c.get(f"/admin/payouts/runs/{run['id']}/{path}").status_code == 403
    assert client.get(f"/admin/payouts/runs/{run['id']}/batch.csv").status_code in (302, 401)
    assert downloads() == []
    assert db.session.scalar(select(PayoutRun.id)) == run["id"]


def _run_with(make_user: Any, n: int, at: Any) -> int:
    """A manual run paying ``n`` closers, each with IBAN details."""
    for i in range(n):
        closer = make_user("closer", email=f"payee{n}-{i}@example.com")
        payout_details.save(
            db.session,
            closer,
            BankDetails(scheme="iban", holder=f"Payee {i}", iban="DE89370400440532013000", bic="COBADEFFXXX"),
            at,
        )
        give_available(closer, 10000 + i)
    run_payouts(db.session, at, triggered_by="cli")
    return max(p.run_id for p in payouts())


def test_the_run_page_and_the_bank_files_cost_the_same_statements_for_two_or_six_payees(
    app: Flask, admin_client: FlaskClient, make_user: Any
) -> None:
    app.config.update(PLATFORM)
    costs = []
    for n, at in ((2, RUN_AT), (6, RUN_AT + timedelta(days=7))):
        run_id = _run_with(make_user, n, at)
        with counted() as statements:
            for path in ("", "/batch.csv", "/sepa.xml"):
                assert admin_client.get(f"/admin/payouts/runs/{run_id}{path}").status_code == 200
        costs.append(len(statements))
    assert costs[0] == costs[1], "\n".join([str(costs)] + [" ".join(s.split())[:150] for s in statements])


def test_details_sealed_with_a_removed_key_are_listed_as_blocked_and_the_closer_can_enter_them_again(
    app: Flask, admin_client: FlaskClient, run: dict[str, Any]
) -> None:
    app.config["ENCRYPTION_KEYS"] = Fernet.generate_key().decode()  # the old key is gone
    exported = admin_client.get(f"/admin/payouts/runs/{run['id']}/batch.csv").get_data(as_text=True)
    rows = {r["closer_email"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert rows["alice@example.com"]["blocked"] == "Payout details cannot be decrypted (encryption key missing)"
    assert rows["alice@example.com"]["iban"] == ""
    confirm = admin_client.get(f"/admin/payouts/runs/{run['id']}/mark-paid").get_data(as_text=True)
    assert 'data-testid="blocked-warning"' in confirm and "Alice Martin" in confirm.split("blocked-warning", 1)[1]
    alice = run["alice"].closer
    payout_details.save(
        db.session,
        alice,
        BankDetails(scheme="iban", holder="Alice Martin", iban="DE89370400440532013000", bic="COBADEFFXXX"),
        RUN_AT,
    )
    again = admin_client.get(f"/admin/payouts/runs/{run['id']}/batch.csv").get_data(as_text=True)
    assert "DE89370400440532013000" in again
