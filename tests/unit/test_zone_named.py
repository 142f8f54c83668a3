"""``core.zone_labels.zone_named``: the zone a person means by a city or an IANA name (the business's
prospect zones are typed as cities)."""

from __future__ import annotations

import pytest

from closerhub.core.tz import canonical_zones
from closerhub.core.zone_labels import _named, zone_named


@pytest.mark.parametrize(
    ("text", "language", "zone"),
    [
        ("Paris", "en", "Europe/Paris"),
        ("  paris ", "fr", "Europe/Paris"),
        ("New   York", "en", "America/New_York"),
        ("New York, United States", "en", "America/New_York"),
        ("sao paulo", "en", "America/Sao_Paulo"),  # accents and case aside
        ("São Paulo", "fr", "America/Sao_Paulo"),
        ("Londres", "fr", "Europe/London"),  # in the reader's language
        ("London", "fr", "Europe/London"),  # or in English
        ("Kolkata", "en", "Asia/Kolkata"),
        ("asia/tokyo", "en", "Asia/Tokyo"),
        ("Londres", "en", None),  # French names are for French readers
        ("Atlantis", "en", None),
        ("", "en", None),
    ],
)
def test_a_city_or_a_time_zone_names_its_zone(text: str, language: str, zone: str | None) -> None:
    assert zone_named(text, language) == zone


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_canonical_zone_is_found_by_its_own_name_and_no_name_points_at_two(language: str) -> None:
    names = _named(language)
    assert all(zone_named(zone, language) == zone for zone in canonical_zones())
    # A name two zones shared would map to None: none does today; if CLDR adds one, it is refused, not guessed.
    assert {zone for zone in names.values() if zone is not None} == set(canonical_zones())
