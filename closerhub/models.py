"""Import every feature's models so the metadata (and Alembic) sees all tables."""

from closerhub.accounts.models import ApiToken, User  # noqa: F401
from closerhub.analytics.models import (  # noqa: F401
    AnalyticsCloserDay,
    AnalyticsCloserWeek,
    AnalyticsDirty,
    AnalyticsRefresh,
    AnalyticsSlot,
)
from closerhub.api.models import IdempotencyRecord  # noqa: F401
from closerhub.audit.models import AuditEntry  # noqa: F401
from closerhub.booking.attendance.models import CloserNoShowReport  # noqa: F401
from closerhub.booking.models import Appointment, AppointmentEvent  # noqa: F401
from closerhub.businesses.models import Business, BusinessMember, Offer, TeamInvitation  # noqa: F401
from closerhub.calendars.models import (  # noqa: F401
    CalendarConnection,
    CalendarPreference,
    CalendarSource,
    CalendarWrite,
    ExternalBusy,
)
from closerhub.closers.models import (  # noqa: F401
    AvailabilitySettings,
    AvailabilitySummary,
    CloserIndustry,
    CloserLanguage,
    CloserProfile,
    DateOverrideRow,
    OverrideInterval,
    TimeOffRow,
    WeeklyRule,
)
from closerhub.engagements.models import Engagement  # noqa: F401
from closerhub.leads.models import Lead  # noqa: F401
from closerhub.notifications.models import OutboxEvent, OutboxMessage  # noqa: F401
from closerhub.notifications.sms_models import SmsMessage, SmsOptOut  # noqa: F401
from closerhub.outcomes.models import Outcome, OutcomeRevision, Review  # noqa: F401
from closerhub.outcomes.models_instalments import Instalment  # noqa: F401
from closerhub.payments.charges.models import Charge  # noqa: F401
from closerhub.payments.ledger.models import LedgerEntry  # noqa: F401
from closerhub.payments.payouts.details_models import PayoutDetails  # noqa: F401
from closerhub.payments.payouts.models import Payout, PayoutNotice, PayoutRun  # noqa: F401
from closerhub.payments.stripe.models import BusinessBilling, ConnectAccount, StripeEvent  # noqa: F401
from closerhub.platform_settings.models import PlatformSetting  # noqa: F401
from closerhub.vetting.models import CloserVetting  # noqa: F401
from closerhub.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent  # noqa: F401
