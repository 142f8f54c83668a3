"""Time-zone pickers: IANA values, labels in the reader's language with the UTC offset of the day,
sorted west to east then by city; the list is built once per language and day."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.core.zone_labels import zone_choices
from tests.conftest import AuthActions, UserFactory
from tests.integration.booking_setup import frozen, setting

__all__ = ["frozen", "setting"]  # fixtures

WINTER = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 7, 9, 0, tzinfo=UTC)
OPTION = re.compile(r'<option value="([^"]+)">([^<]+)</option>')


def test_labels_name_city_and_country_in_the_language_with_the_days_offset() -> None:
    en, fr = dict(zone_choices("en", WINTER)), dict(zone_choices("fr", WINTER))
    assert en["Europe/Paris"] == "(UTC+01:00) Paris, France"
    assert en["America/New_York"] == "(UTC-05:00) New York, United States"
    assert fr["America/New_York"] == "(UTC-05:00) New York, États-Unis"
    assert fr["Europe/London"] == "(UTC+00:00) Londres, Royaume-Uni"
    assert fr["America/Sao_Paulo"] == "(UTC-03:00) São Paulo, Brésil" and fr["UTC"] == "(UTC+00:00) UTC"
    assert dict(zone_choices("fr", SUMMER))["Europe/Paris"] == "(UTC+02:00) Paris, France"  # summer time
    assert en.keys() == fr.keys() and "Asia/Calcutta" not in en and "US/Eastern" not in en  # canonical values
    assert all("/" not in label for label in fr.values())  # no IANA name left in a label


def test_sorted_west_to_east_then_by_city_accents_aside() -> None:
    values = [value for value, _label in zone_choices("fr", WINTER)]
    assert values[0] == "Pacific/Midway" and values[-1] == "Pacific/Kiritimati"
    assert values.index("America/New_York") < values.index("UTC") < values.index("Europe/Paris")
    assert values.index("Europe/Paris") < values.index("Asia/Kolkata")
    paris_hour = [label for _value, label in zone_choices("fr", WINTER) if label.startswith("(UTC+01:00)")]
    assert paris_hour[0] == "(UTC+01:00) Alger, Algérie" and paris_hour[-1] == "(UTC+01:00) Zurich, Suisse"
    budapest = paris_hour.index("(UTC+01:00) Budapest, Hongrie")  # "Büsingen" sorts as "Busingen"
    after = paris_hour[budapest + 1 : budapest + 3]
    assert after == ["(UTC+01:00) Büsingen, Allemagne", "(UTC+01:00) Casablanca, Maroc"]
    assert [v for v, _l in zone_choices("en", WINTER, ["US/Eastern"])].count("US/Eastern") == 1  # a held alias


def test_the_list_is_built_once_per_language() -> None:
    zone_choices("en", WINTER)
    started = time.perf_counter()
    for _ in range(50):
        zone_choices("en", WINTER)
    assert time.perf_counter() - started < 0.5  # from the cache: no CLDR look-up per request


def test_settings_list_zones_in_french_and_in_english(app: Flask, make_user: UserFactory) -> None:
    for language, paris, new_york in (
        ("fr", "(UTC+01:00) Paris, France", "(UTC-05:00) New York, États-Unis"),
        ("en", "(UTC+01:00) Paris, France", "(UTC-05:00) New York, United States"),
    ):
        user = make_user("closer", language=language)
        client = app.test_client()
        assert AuthActions(client).login(user.email).status_code == 302
        with clock.frozen_at(WINTER):
            for path in ("/account", "/closers/me/profile"):
                options = dict(OPTION.findall(client.get(path).get_data(as_text=True)))
                assert options["Europe/Paris"] == paris and options["America/New_York"] == new_york, path


def test_the_booking_page_shows_its_zone_by_label_and_loads_the_rest_on_demand(
    client: FlaskClient, setting: dict
) -> None:
    key = setting["offer"].booking_key
    page = client.get(f"/book/{key}?tz=America/Sao_Paulo", headers={"Accept-Language": "fr"})  # June
    select = page.get_data(as_text=True).split('<select id="tz"')[1].split("</select>")[0]
    assert select.count("<option") == 1
    assert '<option value="America/Sao_Paulo" selected>(UTC-03:00) São Paulo, Brésil</option>' in select
    assert "booking-zones.json?lang=fr" in select
    zones = client.get("/booking-zones.json?lang=xx", headers={"Accept-Language": "fr"}).get_json()["zones"]
    assert dict(zones)["Europe/Berlin"].endswith("Berlin, Allemagne")  # an unknown ?lang: the visitor's language


def test_the_confirm_page_lists_zones_by_label_with_the_chosen_one_selected(client: FlaskClient, setting: dict) -> None:
    key = setting["offer"].booking_key
    url = f"/book/{key}/confirm?start=2026-06-02T07:00:00Z&tz=America/New_York"
    body = client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    options = dict(re.findall(r'<option[^>]*value="([^"]+)"[^>]*>([^<]+)</option>', body))
    assert options["America/New_York"] == "(UTC-04:00) New York, États-Unis"  # June: summer time
    assert options["Europe/Paris"] == "(UTC+02:00) Paris, France" and len(options) > 300
    assert re.search(r'<option[^>]*selected[^>]*value="America/New_York"|value="America/New_York"[^>]*selected', body)
