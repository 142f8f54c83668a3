"""Closer profiles and business offers clean free text with the same rule (``core.text.clean_text``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.businesses import offers
from closerhub.businesses import service as businesses
from closerhub.businesses.models import Offer
from closerhub.closers import profile_fields
from closerhub.closers import service as closers
from closerhub.closers.models import CloserProfile
from closerhub.core import text
from closerhub.core.errors import ValidationError
from closerhub.extensions import db
from tests.integration.test_engagements import make_offer
from tests.integration.test_search import NOW


def _profile(closer: User, **fields: str) -> closers.ProfileData:
    return closers.ProfileData(
        languages=(closers.LanguageSkill("en"),), industries=("coaching",), timezone="Europe/Paris", **fields
    )


def test_every_feature_uses_the_one_shared_cleaner() -> None:
    assert businesses.clean_text is text.clean_text
    assert profile_fields.clean_text is text.clean_text
    assert closers.clean_text is text.clean_text


def test_a_closer_bio_counts_windows_line_ends_as_the_one_character_stored(closer: User) -> None:
    bio = ("x" * 99 + "\r\n") * 50  # 5,050 characters typed, 5,000 stored: exactly the limit
    closers.update_profile(db.session, closer, _profile(closer, bio=bio), now=NOW)
    stored = db.session.scalar(select(CloserProfile.bio).where(CloserProfile.user_id == closer.id))
    assert "\r" not in stored
    assert len(stored) == profile_fields.BIO_MAX - 1  # the last line end is trimmed


def test_an_offer_description_is_cleaned_the_same_way(business_user: User) -> None:
    offer = make_offer(business_user, description="  Line one\r\nLine two  ")
    assert offer.description == "Line one\nLine two"


@pytest.mark.parametrize("field", ["headline", "bio"])
def test_a_closer_profile_with_control_characters_is_refused_and_nothing_changes(closer: User, field: str) -> None:
    closers.update_profile(db.session, closer, _profile(closer, headline="Before"), now=NOW)
    with pytest.raises(ValidationError) as refused:
        closers.update_profile(db.session, closer, _profile(closer, **{field: "bad\x00text"}), now=NOW)
    db.session.rollback()
    assert refused.value.field_errors == {field: "Remove the control characters."}
    assert db.session.scalar(select(CloserProfile.headline).where(CloserProfile.user_id == closer.id)) == "Before"


def test_an_offer_with_control_characters_is_refused_with_the_same_message(business_user: User) -> None:
    with pytest.raises(ValidationError) as refused:
        make_offer(business_user, closing_script="Close\x07now")
    db.session.rollback()
    assert refused.value.field_errors["closing_script"] == "Remove the control characters."
    assert db.session.scalar(select(Offer.id)) is None


def test_too_long_text_names_the_limit_in_both_features(closer: User, business_user: User) -> None:
    with pytest.raises(ValidationError) as headline:
        closers.update_profile(db.session, closer, _profile(closer, headline="h" * 141), now=NOW)
    db.session.rollback()
    with pytest.raises(ValidationError) as description:
        make_offer(business_user, description="d" * (offers.DESCRIPTION_MAX + 1))
    db.session.rollback()
    assert headline.value.field_errors["headline"] == "At most 140 characters."
    assert description.value.field_errors["description"] == f"At most {offers.DESCRIPTION_MAX} characters."
