"""More seeding for ``test_statement_counts.py``: offers and engagements, people, the audit trail, outbox, tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from closerhub.accounts.models import AccountStatus, ApiToken, Role, User
from closerhub.audit.models import AuditEntry
from closerhub.businesses.models import BusinessMember, MemberRole, Offer
from closerhub.closers.models import (
    AvailabilitySummary,
    CloserIndustry,
    CloserLanguage,
    CloserProfile,
    LanguageLevel,
)
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage, OutboxStatus
from closerhub.vetting.models import CloserVetting, VettingStatus
from tests.integration.statement_seeds import NOW, Scene


def seed_engagements(s: Scene, start: int, n: int) -> None:
    """``n`` more offers of the business, the closer engaged on each."""
    w = s.world
    for i in range(start, start + n):
        offer = Offer(
            business_id=w.business.id,
            name=f"Offer {i}",
            price_amount=100000 + i,
            price_currency="EUR",
            booking_key=f"key-{i}-{secrets.token_hex(4)}",
            created_at=NOW,
            updated_at=NOW,
        )
        db.session.add(offer)
        db.session.add(
            Engagement(
                business_id=w.business.id,
                offer=offer,
                closer_id=w.closer.id,
                commission_rate_bps=1500,
                status=EngagementStatus.ACTIVE,
                proposed_at=NOW,
                proposed_by_id=w.owner.id,
                accepted_at=NOW,
            )
        )
    db.session.commit()


def seed_users(s: Scene, start: int, n: int) -> None:
    """``n`` closers waiting in the vetting queue (one password hash shared: hashing 200 would be slow)."""
    for i in range(start, start + n):
        user = User(
            email=f"seeded.user{i}@example.com",
            name=f"User {i}",
            password_hash=s.admin.password_hash,
            role=Role.CLOSER,
            status=AccountStatus.ACTIVE,
            timezone="UTC",
            language="en",
            created_at=NOW,
        )
        db.session.add(user)
        db.session.flush()
        db.session.add(CloserVetting(closer_id=user.id, status=VettingStatus.IN_REVIEW, submitted_at=NOW))
    db.session.commit()


def seed_members(s: Scene, start: int, n: int) -> None:
    """``n`` members of the business's team."""
    for i in range(start, start + n):
        user = User(
            email=f"member{i}@acme.example",
            name=f"Member {i}",
            password_hash=s.admin.password_hash,
            role=Role.BUSINESS,
            status=AccountStatus.ACTIVE,
            timezone="UTC",
            language="en",
            created_at=NOW,
        )
        db.session.add(
            BusinessMember(business_id=s.world.business.id, user=user, role=MemberRole.MEMBER, created_at=NOW)
        )
    db.session.commit()


def seed_closers(s: Scene, start: int, n: int) -> None:
    """``n`` approved closers with a profile (French, SaaS) and a free slot tomorrow: what a search finds."""
    for i in range(start, start + n):
        user = User(
            email=f"seeded.closer{i}@example.com",
            name=f"Closer {i}",
            password_hash=s.admin.password_hash,
            role=Role.CLOSER,
            status=AccountStatus.ACTIVE,
            timezone="Europe/Paris",
            language="fr",
            created_at=NOW,
        )
        profile = CloserProfile(user=user, headline=f"Closer number {i}", bio="", created_at=NOW, updated_at=NOW)
        profile.languages.append(CloserLanguage(code="fr", level=LanguageLevel.NATIVE))
        profile.industries.append(CloserIndustry(industry="saas"))
        db.session.add_all([user, profile])
        db.session.flush()
        db.session.add(CloserVetting(closer_id=user.id, status=VettingStatus.APPROVED, submitted_at=NOW))
        db.session.add(
            AvailabilitySummary(
                closer_id=user.id,
                next_available_at=NOW + timedelta(days=1),
                free_slots_7d=3,
                free_slots_14d=6,
                weekly_minutes=[],
                weekly_hours_mask="0" * 42,
                refreshed_at=NOW,
            )
        )
    db.session.commit()


def seed_audit(s: Scene, start: int, n: int) -> None:
    """``n`` audit rows by the admin about the closer."""
    for i in range(start, start + n):
        db.session.add(
            AuditEntry(
                at=NOW - timedelta(minutes=i),
                actor_id=s.admin.id,
                actor_label="Ada <admin@example.com> (admin)",
                action="test.bulk",
                object_type="user",
                object_id=str(s.world.closer.id),
                after={"i": i},
            )
        )
    db.session.commit()


def seed_outbox(s: Scene, start: int, n: int) -> None:
    """``n`` sent emails in the outbox."""
    for i in range(start, start + n):
        db.session.add(
            OutboxMessage(
                to_address=f"lead{i}@prospect.example",
                cc=[],
                subject=f"Message {i}",
                text_body="Hello",
                html_body="<p>Hello</p>",
                attachments=[],
                template="test",
                language="en",
                message_id=f"<m{i}@closerhub.test>",
                status=OutboxStatus.SENT,
                attempts=1,
                created_at=NOW - timedelta(minutes=i),
                sent_at=NOW - timedelta(minutes=i),
            )
        )
    db.session.commit()


def seed_tokens(s: Scene, start: int, n: int) -> None:
    """``n`` more API tokens of each of the three users."""
    for user in (s.world.closer, s.world.owner, s.admin):
        for i in range(start, start + n):
            db.session.add(
                ApiToken(
                    user_id=user.id,
                    name=f"token {i}",
                    token_hash=hashlib.sha256(f"{user.id}-{i}".encode()).hexdigest(),
                    prefix=f"chk_{i:08d}",
                    created_at=NOW,
                    expires_at=NOW + timedelta(days=30),
                )
            )
    db.session.commit()


def seed_no_show_reports(s: Scene, start: int, n: int) -> None:
    """``n`` pending closer no-show reports, each on a call of another business and closer (the admin's queue)."""
    from closerhub.booking.attendance.models import CloserNoShowReport, ReportStatus
    from tests.integration.statement_seeds import seed_calls

    for call in seed_calls(s, start, n, spread=True):
        db.session.add(
            CloserNoShowReport(
                appointment_id=call.id,
                closer_id=call.closer_id,
                reported_by="business",
                note=f"Nobody joined the room for call {call.id}.",
                status=ReportStatus.PENDING,
                created_at=call.starts_at,
            )
        )
    db.session.commit()


def seed_sms(s: Scene, start: int, n: int) -> None:
    """``n`` stored texts (the SMS outbox without provider keys)."""
    from closerhub.notifications.sms_models import SmsMessage, SmsStatus

    for i in range(start, start + n):
        db.session.add(
            SmsMessage(
                to_number=f"+1212555{i:04d}",
                body=f"Acme: your call with Claire is on Tue 8 Dec, 10:00 AM (America/New_York). Reply STOP ({i}).",
                kind="reminder_24h",
                status=SmsStatus.STORED,
                attempts=0,
                created_at=NOW,
            )
        )
    db.session.commit()
