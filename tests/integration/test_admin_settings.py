"""Platform settings: the environment gives the defaults, admins override them (validated, audited)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.audit.models import AuditEntry
from closerhub.core.errors import PermissionDenied, ValidationError
from closerhub.extensions import db
from closerhub.platform_settings.commands import SettingsChange
from closerhub.platform_settings.models import PlatformSetting
from closerhub.platform_settings.service import SPECS, get_setting, update_settings

FORM = {
    "platform_fee_bps": "10",
    "clawback_days": "14",
    "confirm_days": "7",
    "payout_minimum": "50.00",
    "payout_weekday": "0",
}


def test_settings_default_to_the_environment(app) -> None:
    assert get_setting(db.session, "platform_fee_bps") == 1000
    app.config["CLAWBACK_DAYS"] = 30
    assert get_setting(db.session, "clawback_days") == 30
    assert get_setting(db.session, "payout_weekday") == 0
    with pytest.raises(KeyError):
        get_setting(db.session, "nonsense")


def test_an_admin_change_overrides_the_default_and_is_audited_before_and_after(
    admin_client: FlaskClient, admin_user: User, app
) -> None:
    response = admin_client.post("/admin/settings", data={**FORM, "platform_fee_bps": "12", "payout_weekday": "4"})
    assert response.status_code == 302
    assert get_setting(db.session, "platform_fee_bps") == 1200 and get_setting(db.session, "payout_weekday") == 4
    app.config["PLATFORM_FEE_BPS"] = 900  # the environment no longer decides once an admin has
    assert get_setting(db.session, "platform_fee_bps") == 1200
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "setting.changed")))
    assert {(e.object_id, e.before["value"], e.after["value"]) for e in entries} == {
        ("platform_fee_bps", 1000, 1200),
        ("payout_weekday", 0, 4),
    }
    assert all(e.actor_id == admin_user.id for e in entries)
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert 'value="12.00"' in page and "Set by an admin." in page


def test_an_unchanged_form_writes_nothing(admin_client: FlaskClient) -> None:
    response = admin_client.post("/admin/settings", data=FORM, follow_redirects=True)
    assert "Nothing changed." in response.get_data(as_text=True)
    assert db.session.scalar(select(PlatformSetting)) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "setting.changed")) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("platform_fee_bps", "-1"),
        ("platform_fee_bps", "50.01"),
        ("platform_fee_bps", "12.345"),
        ("payout_weekday", "7"),
        ("confirm_days", "0"),
        ("clawback_days", "ten"),
        ("payout_minimum", ""),
    ],
)
def test_out_of_range_values_are_refused_and_change_nothing(admin_client: FlaskClient, field: str, value: str) -> None:
    response = admin_client.post("/admin/settings", data={**FORM, "platform_fee_bps": "13", field: value})
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(PlatformSetting)) is None


def test_the_service_validates_every_field_and_refuses_non_admins(app, admin_user: User, closer: User) -> None:
    with pytest.raises(ValidationError) as caught:
        update_settings(
            db.session, admin_user, SettingsChange(clawback_days=999, payout_weekday=-1), now=clock.utcnow()
        )
    assert set(caught.value.field_errors) == {"clawback_days", "payout_weekday"}
    with pytest.raises(PermissionDenied):
        update_settings(db.session, closer, SettingsChange(clawback_days=10), now=clock.utcnow())
    assert update_settings(db.session, admin_user, SettingsChange(clawback_days=21), now=clock.utcnow()) == {
        "clawback_days": 21
    }
    assert set(SPECS) == {"platform_fee_bps", "clawback_days", "confirm_days", "payout_minimum", "payout_weekday"}
    # An unknown setting cannot be asked for: the command has one field per setting, no more, no fewer.
    assert set(SettingsChange.field_names()) == set(SPECS)


def test_the_settings_page_needs_the_csrf_token(admin_client: FlaskClient, csrf_enabled) -> None:
    assert admin_client.post("/admin/settings", data={**FORM, "clawback_days": "20"}).status_code == 400
    assert db.session.scalar(select(PlatformSetting)) is None


def test_the_settings_page_is_for_admins_only(
    closer_client: FlaskClient, business_client: FlaskClient, client: FlaskClient
) -> None:
    for c in (closer_client, business_client):
        assert c.get("/admin/settings").status_code == 403
        assert c.post("/admin/settings", data={**FORM, "clawback_days": "1"}).status_code == 403
    assert client.get("/admin/settings").status_code == 302
    assert db.session.scalar(select(PlatformSetting)) is None
