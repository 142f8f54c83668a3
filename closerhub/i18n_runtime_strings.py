"""Message ids translated at run time from data, listed so that ``pybabel extract`` finds them.

Templates and views call ``_(value)`` on enum values and labels (``_(appointment.status.value)``,
``_(e.actor_label)``, ``_(name)`` for industries...). The extractor only sees string literals, so
without this list those ids never reach the catalog and French pages show the English value.
Nothing imports this module; ``N_`` only marks the strings. When you add an enum value or a label
that is shown through ``_(variable)``, add it here too.
"""


def N_(message: str) -> str:  # the conventional name of the no-op marker pybabel knows
    """Mark ``message`` for extraction without translating it."""
    return message


RUNTIME_STRINGS = (
    # booking.models.AppointmentStatus, AppointmentEvent.kind
    N_("booked"),
    N_("cancelled"),
    N_("completed"),
    N_("no_show"),
    N_("rescheduled"),
    # booking.attendance, booking.no_shows: AppointmentEvent.kind ("confirmed" below), report status
    N_("closer_no_show_reported"),
    N_("pending"),
    # booking.models.Channel
    N_("phone"),
    N_("video"),
    # booking.change_rules.ACTOR_LABELS (AppointmentEvent.actor_label)
    N_("prospect"),
    N_("closer"),
    N_("business"),
    N_("admin"),
    N_("system"),
    # engagements.models.EngagementStatus
    N_("proposed"),
    N_("active"),
    N_("declined"),
    N_("withdrawn"),
    N_("ended"),
    # accounts.models.AccountStatus
    N_("suspended"),
    # closers.models.LanguageLevel
    N_("native"),
    N_("fluent"),
    N_("working"),
    # admin.vetting_views.DECISION_LABELS
    N_("approved"),
    N_("asked for changes"),
    N_("rejected"),
    # outcomes.settlement.resolve_dispute: the decision named in the outcome_resolved email
    N_("adjusted"),
    N_("confirmed"),
    N_("voided"),
    # closers.taxonomy.INDUSTRIES
    N_("Coaching"),
    N_("SaaS"),
    N_("B2B services"),
    N_("High-ticket training"),
    N_("Real estate"),
    N_("Financial services"),
    N_("Insurance"),
    N_("Health & wellness"),
    N_("E-commerce"),
    N_("Agency services"),
    N_("Solar & energy"),
    N_("Education"),
    # platform_settings.service.SPECS: label and help of each setting (admin/forms.py, admin/settings.html)
    N_("Platform fee (percent of the commission)"),
    N_("Charged to the business on top of the commission, e.g. 10."),
    N_("Clawback hold (days)"),
    N_("How long a closer's earning stays on hold after the charge before it can be paid out."),
    N_("Confirmation window (days)"),
    N_("How long a business has to confirm or dispute a won deal before it confirms itself."),
    N_("Payout minimum"),
    N_("The smallest balance paid out in a run: 50.00 is €50.00 or $50.00 (¥5,000 without cents)."),
    N_("Payout weekday (0 = Monday … 6 = Sunday)"),
    N_("The day of the week the payout run transfers available balances."),
)
