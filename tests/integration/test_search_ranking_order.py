"""The search orders closers exactly as ``core.matching.rank`` would, however many share a score."""

from __future__ import annotations

import random

from closerhub.core import matching
from closerhub.extensions import db
from closerhub.matching import service
from closerhub.matching.commands import CloserSearch
from tests.conftest import UserFactory
from tests.integration.test_search import NOW, hours, make_closer

LEVELS = ["native", "fluent", "working"]


def test_search_order_and_scores_match_the_documented_ranking(make_user: UserFactory) -> None:
    rng = random.Random(3)
    candidates = []
    for i in range(40):
        level = rng.choice(LEVELS)
        start = rng.choice([6, 8, 14, 20])
        mask = hours(start, start + rng.choice([2, 4, 8]))
        slots = rng.choice([0, 3, 20, 25])  # ties on purpose: equal scores fall back to the id
        user = make_closer(
            make_user,
            f"Closer {i}",
            languages=[{"code": "fr", "level": level}],
            industries=["coaching"],
            mask=mask,
            slots=slots,
        )
        candidates.append(
            matching.Candidate(
                closer_id=user.id,
                name=user.name,
                language_level=level,
                weekly_hours_mask=matching.mask_from_hex(mask),
                free_slots_7d=slots,
            )
        )
    criteria = matching.SearchCriteria(language="fr", language_name="French", prospect_timezone="America/New_York")
    expected = matching.rank(candidates, criteria, today=NOW.date())

    query = service.clean_query(
        CloserSearch(language="fr", prospect_timezone="America/New_York", available_within_days=7)
    )
    got = [
        r
        for offset in (0, 15, 30)
        for r in service.search_closers(db.session, query, now=NOW, limit=15, offset=offset).results
    ]

    assert [r.closer_id for r in got] == [r.candidate.closer_id for r in expected]
    assert [r.score for r in got] == [r.score for r in expected]
    assert [r.reasons for r in got] == [r.reasons for r in expected]


def test_the_total_counts_every_match_while_a_page_holds_only_its_share(make_user: UserFactory) -> None:
    for i in range(7):
        make_closer(make_user, f"Closer {i}", languages=[{"code": "es", "level": "fluent"}], industries=["saas"])
    query = service.clean_query(CloserSearch(language="es"))
    page = service.search_closers(db.session, query, now=NOW, limit=3, offset=6)
    assert page.total == 7
    assert len(page.results) == 1
    assert page.next_offset is None
