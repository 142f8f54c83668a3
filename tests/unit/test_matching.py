"""The search ranking: documented parts, explainable reasons, fair tie-breaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closerhub.core import matching
from closerhub.core.matching import Candidate, SearchCriteria

TODAY = date(2026, 11, 23)  # a Monday
WEEK = matching.reference_week_start(TODAY)


def works(zone_offset_hours: int, start_h: int = 9, end_h: int = 17) -> int:
    """Mask of someone working start–end local on weekdays, at a fixed UTC offset."""
    intervals = []
    for day in range(5):
        start = WEEK + timedelta(days=day, hours=start_h - zone_offset_hours)
        intervals.append((start, start + timedelta(hours=end_h - start_h)))
    return matching.weekly_mask(intervals, WEEK)


def test_the_reference_week_starts_on_monday_midnight_utc() -> None:
    assert matching.reference_week_start(date(2026, 11, 26)) == datetime(2026, 11, 23, tzinfo=UTC)


def test_paris_daytime_is_08_to_17_utc_in_winter_on_weekdays() -> None:
    mask = matching.daytime_mask("Europe/Paris", WEEK)
    assert mask.bit_count() == 5 * 9
    assert mask >> 8 & 1 and not mask >> 7 & 1 and mask >> 16 & 1 and not mask >> 17 & 1
    assert not mask >> (5 * 24 + 10) & 1  # Saturday


def test_kolkata_daytime_covers_half_hours_by_their_start() -> None:
    # 09:00 IST = 03:30 UTC: the UTC hour starting 03:00 begins at 08:30 local, outside daytime.
    mask = matching.daytime_mask("Asia/Kolkata", WEEK)
    assert not mask >> 3 & 1 and mask >> 4 & 1


def test_a_native_speaker_outranks_a_working_level_one_all_else_equal() -> None:
    native = Candidate(1, "A", language_level="native", free_slots_7d=10)
    working = Candidate(2, "B", language_level="working", free_slots_7d=10)
    ranked = matching.rank([working, native], SearchCriteria(language="fr", language_name="French"), today=TODAY)
    assert [r.candidate.closer_id for r in ranked] == [1, 2]
    assert "speaks French natively" in ranked[0].reasons


def test_hours_overlapping_the_prospects_daytime_rank_higher() -> None:
    paris_hours = Candidate(1, "Paris", weekly_hours_mask=works(1))
    la_hours = Candidate(2, "LA", weekly_hours_mask=works(-8))
    ranked = matching.rank([la_hours, paris_hours], SearchCriteria(prospect_timezone="Europe/Paris"), today=TODAY)
    assert ranked[0].candidate.name == "Paris"
    assert ranked[0].parts["timezone"] == 20.0 and ranked[1].parts["timezone"] == 0.0
    assert "40 h/week while your prospects are awake" in ranked[0].reasons


def test_two_lucky_calls_do_not_beat_a_steady_record() -> None:
    lucky = Candidate(1, "Lucky", appointments=2, won=2)
    steady = Candidate(2, "Steady", appointments=100, won=40)
    ranked = matching.rank([lucky, steady], SearchCriteria(), today=TODAY)
    assert ranked[0].candidate.name == "Steady"
    assert "40 % close rate" in ranked[0].reasons


def test_ties_favour_the_closer_with_fewer_appointments_so_new_closers_are_not_starved() -> None:
    busy = Candidate(1, "Busy", appointments=30, won=8)  # smoothed rate 0.2625 (like the prior)
    new = Candidate(2, "New")
    first = matching.rank([busy, new], SearchCriteria(), today=TODAY)
    assert first[0].candidate.name == "New" or first[0].score > first[1].score
    assert "new on CloserHub" in next(r for r in first if r.candidate.name == "New").reasons


def test_a_criterion_not_asked_for_does_not_reorder_closers() -> None:
    a = Candidate(1, "A", language_level=None, free_slots_7d=5)
    b = Candidate(2, "B", language_level="native", free_slots_7d=6)
    ranked = matching.rank([a, b], SearchCriteria(), today=TODAY)
    assert ranked[0].parts["language"] == ranked[1].parts["language"]
    assert ranked[0].candidate.name == "B"  # decided by availability alone


def test_ratings_are_smoothed_toward_four_stars() -> None:
    assert matching.smoothed_rating(5, 1) == pytest.approx((5 + 20) / 6)
    one_five_star = matching.score(Candidate(1, "A", rating_sum=5, rating_count=1), SearchCriteria(), None)
    many_fours = matching.score(Candidate(2, "B", rating_sum=4 * 50 + 25, rating_count=50), SearchCriteria(), None)
    assert many_fours.parts["rating"] > one_five_star.parts["rating"]


def test_weekly_mask_clips_to_the_week_and_counts_partial_hours() -> None:
    mask = matching.weekly_mask([(WEEK - timedelta(hours=1), WEEK + timedelta(minutes=90))], WEEK)
    assert mask == 0b11
    assert matching.mask_from_hex(matching.mask_to_hex(mask)) == mask
    assert len(matching.mask_to_hex((1 << 168) - 1)) == 42


@given(
    st.lists(
        st.builds(
            Candidate,
            closer_id=st.integers(1, 10_000),
            name=st.just("x"),
            language_level=st.sampled_from([None, "native", "fluent", "working"]),
            industry_match=st.booleans(),
            weekly_hours_mask=st.integers(0, (1 << 168) - 1),
            free_slots_7d=st.integers(0, 200),
            appointments=st.integers(0, 500),
            won=st.integers(0, 500),
            rating_sum=st.integers(0, 2500),
            rating_count=st.integers(0, 500),
        ),
        max_size=30,
    )
)
def test_scores_stay_within_0_and_100_and_come_out_sorted(candidates: list[Candidate]) -> None:
    criteria = SearchCriteria(language="fr", industry="saas", prospect_timezone="America/New_York")
    ranked = matching.rank(candidates, criteria, today=TODAY)
    assert all(0 <= r.score <= 100 for r in ranked)
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert len(ranked) == len(candidates)
