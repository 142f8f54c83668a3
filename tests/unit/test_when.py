"""The one time format (core/when.py): the reader's locale and zone, no seconds, other zones by city."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from closerhub.core.when import format_locale, instant_text, other_time_text, relative_text

SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}")
NINE_PARIS = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # 09:00 in Paris, 00:00 in Los Angeles


def test_reader_locale_from_language_and_zone() -> None:
    assert str(format_locale("en", "America/Los_Angeles")) == "en_US"
    assert str(format_locale("en", "Europe/London")) == "en_GB"
    assert str(format_locale("fr", "Europe/Paris")) == "fr_FR"
    assert str(format_locale("en", "America/Sao_Paulo")) == "en"  # Babel has no en_BR: the language alone
    assert str(format_locale("en", None, "GB")) == "en_GB"  # a visitor's Accept-Language region


def test_en_us_reads_12_hours_without_seconds() -> None:
    text = instant_text(NINE_PARIS, "America/New_York", format_locale("en", "America/New_York"))
    assert text == "Fri, Dec 4, 2026, 3:00\u202fAM"
    assert not SECONDS.search(text)


def test_fr_and_en_gb_read_24_hours() -> None:
    assert instant_text(NINE_PARIS, "Europe/Paris", format_locale("fr", "Europe/Paris")) == "ven. 4 déc. 2026, 09:00"
    assert instant_text(NINE_PARIS, "Europe/London", format_locale("en", "Europe/London")) == "Fri, 4 Dec 2026, 08:00"
    assert instant_text(NINE_PARIS, "Europe/Paris", format_locale("fr", "Europe/Paris"), "time") == "09:00"


def test_dst_moves_the_wall_clock_not_the_format() -> None:
    paris = format_locale("fr", "Europe/Paris")
    summer = datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # after the spring change: UTC+2
    winter = datetime(2026, 3, 28, 7, 0, tzinfo=UTC)  # before it: UTC+1
    assert instant_text(summer, "Europe/Paris", paris, "time") == "09:00"
    assert instant_text(winter, "Europe/Paris", paris, "time") == "08:00"


def test_other_party_zone_only_where_it_differs_by_city() -> None:
    paris = format_locale("fr", "Europe/Paris")
    text = instant_text(NINE_PARIS, "Europe/Paris", paris, other_zone="America/Sao_Paulo")
    assert text == "ven. 4 déc. 2026, 09:00 (05:00 in São Paulo)"  # "in" is French once the catalog is installed
    assert "America/" not in text
    # Berlin's clock reads like Paris's: nothing is added
    assert instant_text(NINE_PARIS, "Europe/Paris", paris, other_zone="Europe/Berlin") == "ven. 4 déc. 2026, 09:00"
    assert other_time_text(NINE_PARIS, "Europe/Berlin", "Europe/Paris", paris) == ""
    # a different day is said
    seven_paris = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    la = other_time_text(seven_paris, "America/Los_Angeles", "Europe/Paris", format_locale("en", "America/Los_Angeles"))
    assert la == "Thu, Dec 3, 10:00\u202fPM in Los Angeles"


def test_relative_words_from_the_real_time_left() -> None:
    en = format_locale("en", "Europe/London")
    fr = format_locale("fr", "Europe/Paris")
    start = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert relative_text(start, start - timedelta(hours=2), "Europe/London", en) == "in 2 hours"
    assert relative_text(start, start - timedelta(hours=2), "Europe/Paris", fr) == "dans 2 heures"
    assert relative_text(start, start - timedelta(minutes=25), "Europe/London", en) == "in 25 minutes"
    assert relative_text(start, start - timedelta(hours=20), "Europe/London", en) == "tomorrow"
    assert relative_text(start, start + timedelta(days=3), "Europe/London", en) == "3 days ago"
    # 23:30 to 00:30 the next day is an hour, not "tomorrow"
    late = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    assert relative_text(late + timedelta(hours=1), late, "Europe/London", en) == "in 1 hour"


def test_money_is_written_where_the_language_is_spoken_else_in_the_language_alone() -> None:
    from closerhub.core.money import Money, format_money
    from closerhub.core.when import money_locale

    assert str(money_locale("en", "America/New_York")) == "en_US"
    assert str(money_locale("en", "Europe/London")) == "en_GB"
    assert str(money_locale("fr", "Europe/Paris")) == "fr_FR"
    assert str(money_locale("en", "Europe/Paris")) == "en"  # English in Paris: €720.00, not 720,00 €
    assert format_money(Money(72000, "EUR"), str(money_locale("fr", "Europe/Paris"))) == "720,00\xa0€"
    assert format_money(Money(2500, "JPY"), str(money_locale("en", "America/New_York"))) == "¥2,500"
    assert format_money(Money(2500, "KWD"), str(money_locale("en", "Europe/London"))) == "KWD2.500"  # three decimals
