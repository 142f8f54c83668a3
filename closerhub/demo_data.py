"""The demo marketplace as plain data: accounts, profiles, hours, offers, leads and the calls to stage.

``closerhub.demo`` turns these into rows through the real service functions, so every
value here must pass the same validation as a form or the API (E.164 phones, IANA zones,
ISO 639-1 languages, industries of ``closers.taxonomy``, rates of 10–20 %).
Days of calls are offsets from the day the seed runs (negative: in the past).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from closerhub.closers.commands import AvailabilityChange, WeeklyWindow

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (public demo accounts, printed by seed-demo)


class DemoUser(NamedTuple):
    """One demo login. ``approved``: a closer an admin has already vetted (else still in review)."""

    role: str
    email: str
    name: str
    timezone: str
    language: str
    business_name: str | None = None
    approved: bool = True


DEMO_USERS: list[DemoUser] = [
    DemoUser("admin", "admin@demo.closerhub.dev", "Ada Admin", "UTC", "en"),
    DemoUser("business", "owner@acme-coaching.demo", "Omar Haddad", "Europe/Paris", "fr", "Acme Coaching"),
    DemoUser("business", "sales@northwind-saas.demo", "Nina Park", "America/New_York", "en", "Northwind SaaS"),
    DemoUser("closer", "claire@closers.demo", "Claire Martin", "Europe/Paris", "fr"),
    DemoUser("closer", "diego@closers.demo", "Diego Alvarez", "America/Sao_Paulo", "en"),
    DemoUser("closer", "priya@closers.demo", "Priya Sharma", "Asia/Kolkata", "en"),
    DemoUser("closer", "jake@closers.demo", "Jake Thompson", "America/Los_Angeles", "en"),
    DemoUser("closer", "sofia@closers.demo", "Sofia Rossi", "Europe/Rome", "en", approved=False),
]


def _week(days: range, *intervals: tuple[str, str]) -> tuple[WeeklyWindow, ...]:
    return tuple(WeeklyWindow(d, s, e) for d in days for s, e in intervals)


WEEKDAYS = range(0, 5)

# Closer profiles (``closers.service.ProfileData`` fields) and availability (the command that saves it).
CLOSER_PROFILES: dict[str, dict[str, Any]] = {
    "claire@closers.demo": {
        "profile": {
            "headline": "Bilingual closer for coaching and high-ticket programmes",
            "bio": "Seven years closing coaching and training offers for French and Belgian founders.\n"
            "I run consultative calls: the prospect talks 70 % of the time, and I only ask for the "
            "decision once the gap between where they are and where they want to be is theirs.",
            "languages": [{"code": "fr", "level": "native"}, {"code": "en", "level": "fluent"}],
            "industries": ["coaching", "high_ticket_training", "education"],
            "min_rate_bps": 1200,
            "phone": "+33612345678",
            "years_experience": 7,
            "meeting_mode": "generated_room",
        },
        "availability": AvailabilityChange(
            slot_minutes=60,
            buffer_minutes=15,
            min_notice_minutes=240,
            weekly=_week(WEEKDAYS, ("09:00", "12:00"), ("14:00", "18:00")),
        ),
    },
    "diego@closers.demo": {
        "profile": {
            "headline": "SaaS and B2B closer for Latin America and the US",
            "bio": "Former account executive at two B2B SaaS scale-ups. I close mid-market deals in "
            "Portuguese, Spanish and English, and I am at my best with multi-stakeholder buying committees.",
            "languages": [
                {"code": "pt", "level": "native"},
                {"code": "es", "level": "fluent"},
                {"code": "en", "level": "fluent"},
            ],
            "industries": ["saas", "b2b_services", "coaching"],
            "min_rate_bps": 1000,
            "phone": "+5511987654321",
            "years_experience": 5,
            "meeting_mode": "generated_room",
        },
        "availability": AvailabilityChange(
            slot_minutes=45,
            buffer_minutes=15,
            min_notice_minutes=240,
            weekly=_week(WEEKDAYS, ("09:00", "12:00"), ("13:00", "18:00")),
        ),
    },
    "priya@closers.demo": {
        "profile": {
            "headline": "Closer for SaaS, fintech and e-commerce, covering Europe and the US East Coast",
            "bio": "I work afternoons and evenings in Kolkata, which is business hours in London and "
            "New York mornings. Strong on discovery, pricing objections and finance-led buyers.",
            "languages": [
                {"code": "en", "level": "fluent"},
                {"code": "hi", "level": "native"},
                {"code": "bn", "level": "native"},
            ],
            "industries": ["saas", "finance", "ecommerce", "coaching"],
            "min_rate_bps": 1000,
            "phone": "+919830012345",
            "years_experience": 4,
            "meeting_mode": "generated_room",
        },
        "availability": AvailabilityChange(
            slot_minutes=45,
            buffer_minutes=15,
            min_notice_minutes=240,
            weekly=_week(WEEKDAYS, ("13:00", "17:00"), ("18:00", "22:00")),
        ),
    },
    "jake@closers.demo": {
        "profile": {
            "headline": "Enterprise SaaS closer, West Coast based",
            "bio": "Ten years in software sales, the last four as a freelance closer. I take the "
            "final call on annual and enterprise plans and hand the business a signed order form.",
            "languages": [{"code": "en", "level": "native"}, {"code": "es", "level": "working"}],
            "industries": ["saas", "real_estate", "solar_energy"],
            "min_rate_bps": 1500,
            "phone": "+13105550123",
            "years_experience": 10,
            "meeting_mode": "own_url",
            "meeting_url": "https://zoom.us/j/5550100123",
        },
        "availability": AvailabilityChange(
            slot_minutes=60,
            buffer_minutes=15,
            min_notice_minutes=240,
            weekly=_week(WEEKDAYS, ("08:00", "12:00"), ("13:00", "17:00")),
        ),
    },
    "sofia@closers.demo": {
        "profile": {
            "headline": "Italian and German speaking closer for health and wellness programmes",
            "bio": "Three years closing wellness retreats and online programmes for clinics in Milan and Munich.",
            "languages": [
                {"code": "it", "level": "native"},
                {"code": "en", "level": "fluent"},
                {"code": "de", "level": "working"},
            ],
            "industries": ["health_wellness", "coaching"],
            "min_rate_bps": 1100,
            "phone": "+393471234567",
            "years_experience": 3,
            "meeting_mode": "generated_room",
        },
        "availability": AvailabilityChange(
            slot_minutes=60,
            buffer_minutes=15,
            min_notice_minutes=240,
            weekly=_week(WEEKDAYS, ("10:00", "13:00"), ("15:00", "19:00")),
        ),
    },
}

BUSINESS_PROFILES: dict[str, dict[str, Any]] = {
    "owner@acme-coaching.demo": {
        "name": "Acme Coaching",
        "website": "https://acme-coaching.example",
        "timezone": "Europe/Paris",
        "currency": "EUR",
        "industry": "coaching",
        "prospect_languages": ["fr", "en"],
        "prospect_timezones": ["Europe/Paris", "Europe/Brussels", "America/Toronto", "Africa/Casablanca"],
        "brand_color": "#0f766e",  # the booking pages' colour (passes WCAG AA with white)
    },
    "sales@northwind-saas.demo": {
        "name": "Northwind SaaS",
        "website": "https://northwind-saas.example",
        "timezone": "America/New_York",
        "currency": "USD",
        "industry": "saas",
        "prospect_languages": ["en", "es", "pt"],
        "prospect_timezones": [
            "America/New_York",
            "America/Chicago",
            "America/Los_Angeles",
            "America/Sao_Paulo",
            "Europe/London",
        ],
    },
}

# Offers per business owner: (name, price in minor units, fields of ``OfferData``).
OFFERS: dict[str, list[dict[str, Any]]] = {
    "owner@acme-coaching.demo": [
        {
            "name": "Executive Leadership Coaching (6 months)",
            "price": 480000,
            "description": "Twelve one-to-one sessions with a certified executive coach over six months, "
            "a 360° feedback round and a written leadership plan.",
            "sales_cycle_days": 14,
            "closing_script": "1. Rapport (5 min): their role, their team, why now.\n"
            "2. Gap (15 min): where they are, where they want to be in 6 months, what it costs to stay.\n"
            "3. Programme (10 min): the 12 sessions and the 360°, tied to their gap.\n"
            "4. Price and close: 4 800 € or 3 × 1 650 €; ask for the decision.",
            "qualification_notes": "Fit: managers of 5+ people, budget from their company or themselves. "
            "Not a fit: people looking for therapy or a new job next month.",
            "booking_questions": ["How many people do you manage?", "Who pays for the coaching?"],
            "call_minutes": 45,  # the offer sets the call: 45 minutes, starting every 15
            "start_increment_minutes": 15,
        },
        {
            "name": "Career Accelerator Programme",
            "price": 195000,
            "description": "An eight-week group programme for mid-career professionals aiming at their next promotion.",
            "sales_cycle_days": 7,
            "closing_script": "1. Their current role and the promotion they want.\n"
            "2. What they tried so far and why it stalled.\n"
            "3. The 8 weeks, the cohort, the alumni results.\n"
            "4. Close on the next cohort's start date.",
            "qualification_notes": "Fit: 5–15 years of experience, clear target role. "
            "Not a fit: students, career changers without experience in the field.",
            "booking_questions": ["What role are you aiming for?", "When would you like to start?"],
            "call_minutes": 45,  # the offer sets the call: 45 minutes, starting every 15
            "start_increment_minutes": 15,
        },
    ],
    "sales@northwind-saas.demo": [
        {
            "name": "Northwind Analytics, Team plan (annual)",
            "price": 1200000,
            "description": "Self-serve product analytics for teams of up to 50, billed annually, with onboarding.",
            "sales_cycle_days": 21,
            "closing_script": "1. Confirm the trial's usage and who logged in.\n"
            "2. Tie the dashboards they built to the metric they report on.\n"
            "3. Walk the annual price and the onboarding package.\n"
            "4. Close: order form today, or a date with the budget holder.",
            "qualification_notes": "Fit: product teams of 10–50 with an active trial. "
            "Not a fit: agencies reselling, teams under 5 seats.",
            "booking_questions": ["How many seats do you need?", "Which tool are you using today?"],
            "call_minutes": 45,  # the offer sets the call: 45 minutes, starting every 15
            "start_increment_minutes": 15,
        },
        {
            "name": "Northwind Analytics, Enterprise pilot",
            "price": 3000000,
            "description": "A 90-day paid pilot with SSO, a data warehouse connector and a named success manager.",
            "sales_cycle_days": 45,
            "closing_script": "1. Map the buying committee (economic buyer, IT, champion).\n"
            "2. Agree the pilot's success criteria in writing.\n"
            "3. Price the pilot and the credit towards the annual contract.\n"
            "4. Close on a signed pilot agreement and a kickoff date.",
            "qualification_notes": "Fit: 200+ employees, a data team, a champion in product. "
            "Not a fit: no security review possible within 60 days.",
            "booking_questions": ["How large is your company?", "Who else joins the decision?"],
            "call_minutes": 45,  # the offer sets the call: 45 minutes, starting every 15
            "start_increment_minutes": 15,
        },
    ],
}

# Engagements per business owner: (closer email, offer index, rate in bps, accepted?).
# (closer, offer index, rate in bps, accepted[, commission basis: contract_value by default])
ENGAGEMENTS: dict[str, list[tuple[Any, ...]]] = {
    "owner@acme-coaching.demo": [
        ("claire@closers.demo", 0, 1500, True),
        ("priya@closers.demo", 0, 1200, True),
        ("diego@closers.demo", 0, 1500, True, "cash_collected"),  # paid as the customer's instalments come in
        ("claire@closers.demo", 1, 1400, True),
        ("diego@closers.demo", 1, 1300, True),
        ("jake@closers.demo", 1, 1600, False),  # a proposal Jake has not answered yet
    ],
    "sales@northwind-saas.demo": [
        ("jake@closers.demo", 0, 1600, True),
        ("diego@closers.demo", 0, 1400, True),
        ("priya@closers.demo", 0, 1250, True),
        ("jake@closers.demo", 1, 1800, True),
        ("claire@closers.demo", 0, 1300, False),  # a proposal waiting in Claire's dashboard
    ],
}


def _lead(
    name: str,
    email: str,
    phone: str | None,
    timezone: str,
    language: str,
    needs: str,
    motivations: str,
    blockers: str,
    budget: str,
    decision_makers: str,
    source: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "email": email,
        "phone": phone,
        "timezone": timezone,
        "language": language,
        "needs": needs,
        "motivations": motivations,
        "blockers": blockers,
        "budget": budget,
        "decision_makers": decision_makers,
        "source": source,
    }


LEADS: dict[str, list[dict[str, Any]]] = {
    "owner@acme-coaching.demo": [
        _lead(
            "Camille Dubois",
            "camille.dubois@example.fr",
            "+33678901234",
            "Europe/Paris",
            "fr",
            "Leads a team of 12 after a reorganisation; struggles with delegation.",
            "Promised a director role within a year if the team delivers.",
            "Worried about finding time for sessions during the quarter close.",
            "€4,000–5,000, company training budget",
            "Herself, HR signs off",
            "Webinar",
        ),
        _lead(
            "Lucas Peeters",
            "lucas.peeters@example.be",
            "+32470123456",
            "Europe/Brussels",
            "fr",
            "Wants to prepare for a promotion to head of operations.",
            "Has been passed over once and wants a plan this time.",
            "Pays himself; compares with a cheaper online course.",
            "Around €2,000 personally",
            "Himself",
            "LinkedIn ad",
        ),
        _lead(
            "Amélie Tremblay",
            "amelie.tremblay@example.ca",
            "+15145550100",
            "America/Toronto",
            "fr",
            "New VP of sales, 30 people, first executive role.",
            "The board expects a turnaround within two quarters.",
            "Her previous coach did not understand sales teams.",
            "Up to €6,000, company pays",
            "Herself and the CEO",
            "Referral from a client",
        ),
        _lead(
            "Youssef Benali",
            "youssef.benali@example.ma",
            "+212612345678",
            "Africa/Casablanca",
            "fr",
            "Engineering manager who wants to move into product leadership.",
            "Wants to lead the new product line announced for next year.",
            "Unsure the programme fits a technical profile.",
            "€1,500–2,000",
            "Himself",
            "Podcast",
        ),
        _lead(
            "Sophie Laurent",
            "sophie.laurent@example.fr",
            "+33611223344",
            "Europe/Paris",
            "fr",
            "Founder of a 20-person agency, burning out on management.",
            "Wants to step back from day-to-day operations.",
            "Needs her co-founder to agree on the spend.",
            "€4,800 if split in instalments",
            "Herself and her co-founder",
            "Website",
        ),
        _lead(
            "Thomas Girard",
            "thomas.girard@example.fr",
            "+33622334455",
            "Europe/Paris",
            "fr",
            "Director of a regional bank branch, team engagement is low.",
            "Annual review flagged leadership as his development area.",
            "Training budget requests go through a committee.",
            "€5,000, training budget",
            "HR business partner, his regional manager",
            "Webinar",
        ),
        _lead(
            "Emma Wilson",
            "emma.wilson@example.com",
            "+16465550112",
            "America/New_York",
            "en",
            "Head of customer success, 18 reports across two time zones.",
            "Wants to build a leadership bench before a planned expansion.",
            "Skeptical about remote coaching formats.",
            "Up to $5,500",
            "Herself and the COO",
            "Referral from a client",
        ),
        _lead(
            "Nicolas Moreau",
            "nicolas.moreau@example.fr",
            "+33633445566",
            "Europe/Paris",
            "fr",
            "Newly promoted team lead, first time managing former peers.",
            "Wants to earn his team's trust quickly.",
            "Worried the price is high for a first-line manager.",
            "€1,500–2,500",
            "Himself",
            "Instagram",
        ),
        _lead(
            "Chloé Lambert",
            "chloe.lambert@example.be",
            "+32470987654",
            "Europe/Brussels",
            "fr",
            "Aims for a senior product manager role in the next cycle.",
            "Salary gap of 20 % with the target role.",
            "Evening availability only.",
            "€2,000",
            "Herself",
            "Website",
        ),
        _lead(
            "Hugo Fontaine",
            "hugo.fontaine@example.fr",
            "+33644556677",
            "Europe/Paris",
            "fr",
            "COO of a scale-up preparing a Series B, leadership team of 6.",
            "Investors asked for a stronger management layer.",
            "Wants references from other scale-ups.",
            "€5,000–8,000",
            "Himself and the CEO",
            "Event",
        ),
        _lead(
            "Inès Bouchard",
            "ines.bouchard@example.ca",
            "+14165550199",
            "America/Toronto",
            "fr",
            "Sales manager wanting to move into an enablement leadership role.",
            "Relocating next year and wants the title first.",
            "Pays herself; wants a payment plan.",
            "€1,950 in instalments",
            "Herself",
            "Podcast",
        ),
        _lead(
            "Karim Haddad",
            "karim.haddad@example.ma",
            "+212661234567",
            "Africa/Casablanca",
            "fr",
            "General manager of a family business, third generation.",
            "Preparing to take over from his father within two years.",
            "The family board is cautious about outside coaches.",
            "€4,800",
            "Himself and the family board",
            "Referral from a client",
        ),
        _lead(
            "Élodie Garnier",
            "elodie.garnier@example.fr",
            "+33611223344",
            "Europe/Paris",
            "fr",
            "Runs a 6-person design studio; wants to stop being the bottleneck.",
            "Take two weeks off this summer without the studio stalling.",
            "Tried a group programme that felt generic.",
            "€3,000–4,000",
            "Herself",
            "Instagram",
        ),
        _lead(
            "Hugo Lefèvre",
            "hugo.lefevre@example.fr",
            "+33622334455",
            "Europe/Paris",
            "fr",
            "Leads a 20-person training company; wants a sales process that does not depend on him.",
            "Hand over the sales calls before opening a second office.",
            "Cash flow: prefers to pay over three months.",
            "€6,000 over three months",
            "Himself and his co-founder",
            "Podcast",
        ),
    ],
    "sales@northwind-saas.demo": [
        _lead(
            "Rachel Kim",
            "rachel.kim@example.com",
            "+12125550147",
            "America/New_York",
            "en",
            "Product team of 25 needs funnel and retention dashboards.",
            "Board meeting in six weeks wants cohort metrics.",
            "Their data engineer is already overloaded.",
            "$10,000–15,000 per year",
            "Rachel (VP product), CFO approves",
            "Free trial",
        ),
        _lead(
            "Marcus Johnson",
            "marcus.johnson@example.com",
            "+13125550188",
            "America/Chicago",
            "en",
            "Replacing a homegrown analytics stack that keeps breaking.",
            "Engineering wants to stop maintaining it.",
            "Already talking to two competitors.",
            "$12,000",
            "Marcus and the CTO",
            "G2 review",
        ),
        _lead(
            "Ana Souza",
            "ana.souza@example.com.br",
            "+5511912345678",
            "America/Sao_Paulo",
            "en",
            "E-commerce app with 40 analysts and product managers.",
            "Expanding to Mexico and needs per-market reporting.",
            "Procurement requires a local invoice.",
            "$10,000 per year",
            "Ana and the head of finance",
            "Webinar",
        ),
        _lead(
            "Daniel Ortiz",
            "daniel.ortiz@example.mx",
            "+525512345678",
            "America/Mexico_City",
            "en",
            "Enterprise retailer, 1,200 employees, wants an analytics pilot.",
            "Their current vendor's contract ends in four months.",
            "Security review can take 90 days.",
            "$30,000 for a pilot",
            "Daniel, CIO, procurement",
            "Outbound",
        ),
        _lead(
            "Olivia Brown",
            "olivia.brown@example.com",
            "+14155550123",
            "America/Los_Angeles",
            "en",
            "Startup of 15 with product-led growth, needs activation metrics.",
            "Raising a seed extension next quarter.",
            "Budget is tight until the raise.",
            "$6,000–12,000",
            "Olivia (founder)",
            "Free trial",
        ),
        _lead(
            "James Carter",
            "james.carter@example.co.uk",
            "+447911123456",
            "Europe/London",
            "en",
            "Fintech with 300 employees, needs event analytics with SSO.",
            "Regulator asks for audit trails on product changes.",
            "Data must stay in the EU.",
            "$25,000–40,000",
            "James, CISO, head of data",
            "Conference",
        ),
        _lead(
            "Sarah Lee",
            "sarah.lee@example.com",
            "+17185550111",
            "America/New_York",
            "en",
            "Growth team of 10 moving off spreadsheets.",
            "New VP growth wants weekly experiment reports.",
            "Unsure the team will adopt a new tool.",
            "$12,000",
            "Sarah and the VP growth",
            "Free trial",
        ),
        _lead(
            "Lucía Fernández",
            "lucia.fernandez@example.es",
            "+34612345678",
            "Europe/Madrid",
            "en",
            "Marketplace with 600 employees, wants a pilot for the data team.",
            "Consolidating three analytics tools into one.",
            "Needs a Spanish-speaking success manager.",
            "$30,000",
            "Lucía, CTO, CFO",
            "Partner referral",
        ),
        _lead(
            "Ethan Miller",
            "ethan.miller@example.com",
            "+15125550190",
            "America/Chicago",
            "en",
            "B2B SaaS with 30 seats needed, churn analysis first.",
            "Churn went up two points last quarter.",
            "Wants monthly billing, not annual.",
            "$1,000 per month",
            "Ethan and the COO",
            "G2 review",
        ),
        _lead(
            "Beatriz Lima",
            "beatriz.lima@example.com.br",
            "+5521987654321",
            "America/Sao_Paulo",
            "en",
            "Health app, 45 people, wants funnel analytics on mobile.",
            "A new investor asked for retention curves.",
            "Integration with their mobile SDK is unclear.",
            "$12,000",
            "Beatriz and the CTO",
            "Webinar",
        ),
        _lead(
            "Noah Davis",
            "noah.davis@example.com",
            "+13055550177",
            "America/New_York",
            "en",
            "Agency that wants dashboards for its clients.",
            "Clients ask for live reporting.",
            "Agencies reselling are not a fit; may need the partner programme instead.",
            "$8,000",
            "Noah (owner)",
            "Outbound",
        ),
        _lead(
            "Mia Schneider",
            "mia.schneider@example.de",
            "+4915123456789",
            "Europe/Berlin",
            "en",
            "Mobility company, 900 employees, wants a pilot for two product lines.",
            "Their BI team cannot keep up with product questions.",
            "Works council must approve any user tracking.",
            "$30,000",
            "Mia, head of BI, works council",
            "Conference",
        ),
    ],
}


class Call(NamedTuple):
    """One call to stage: who, when (days from today, then the n-th free slot that day) and what came of it.

    ``outcome``: None (an upcoming call), or a dict with ``result`` and its fields, plus
    ``then``: "confirm", "dispute" or None (left for the business to confirm); ``paid``: the
    admin records the business's bank transfer (manual mode) a day after the confirmation,
    which starts the clawback hold; ``review``: a rating 1–5 with a comment. ``via``: "business" or "booking_page".
    """

    owner: str
    offer: int
    closer: str
    lead: int
    day: int
    slot: int = 0
    channel: str = "video"
    via: str = "business"
    outcome: dict[str, Any] | None = None


ACME = "owner@acme-coaching.demo"
NORTHWIND = "sales@northwind-saas.demo"
CLAIRE, DIEGO, PRIYA, JAKE = "claire@closers.demo", "diego@closers.demo", "priya@closers.demo", "jake@closers.demo"

# Past calls left without an outcome (the closer's main task on the dashboard): ``outcome`` None, day < 0.
CALLS: list[Call] = [
    Call(ACME, 0, CLAIRE, 12, -1, 1),
    Call(NORTHWIND, 0, JAKE, 5, -1, 0),
    # --- Acme Coaching (EUR) ---------------------------------------------------------------
    Call(
        ACME,
        0,
        CLAIRE,
        0,
        -26,
        1,
        outcome={
            "result": "won",
            "deal": 480000,
            "then": "confirm",
            "paid": True,
            "technique": "summary",
            "objections": ["Time during quarter close"],
            "buying_signals": ["Asked about session dates"],
            "notes": "Signed the 6-month programme; first session booked with the coach.",
            "review": (5, "Claire understood our offer in a day and closed a hesitant director with great care."),
        },
    ),
    Call(
        ACME,
        0,
        PRIYA,
        2,
        -20,
        0,
        outcome={
            "result": "lost",
            "lost_reason": "price",
            "lost_reason_text": "Her CEO capped coaching at €3,000 this year.",
            "objections": ["Price", "Previous coach experience"],
            "then": "confirm",
            "notes": "Open to revisit in January with the new budget.",
            "review": (4, "Good discovery, clear notes for our follow-up in January."),
        },
    ),
    Call(ACME, 1, DIEGO, 3, -15, 2, outcome={"result": "no_show", "notes": "No answer on video or email."}),
    # Cash collected: €6,000 in three instalments (days from today); the first is collected after the
    # confirmation (its commission accrues in Diego's earnings), the second is overdue, the third due.
    Call(
        ACME,
        0,
        DIEGO,
        13,
        -27,
        1,
        outcome={
            "result": "won",
            "deal": 600000,
            "then": "confirm",
            "plan": [(-25, 200000), (-4, 200000), (26, 200000)],
            "collect_first": True,
            "technique": "summary",
            "notes": "Pays the programme in three monthly instalments.",
        },
    ),
    Call(
        ACME,
        1,
        CLAIRE,
        1,
        -9,
        2,
        channel="phone",
        outcome={
            "result": "won",
            "deal": 195000,
            "then": "confirm",
            "technique": "assumptive",
            "notes": "Joins the next cohort; paying in one instalment.",
        },
    ),
    Call(
        ACME,
        0,
        CLAIRE,
        4,
        -6,
        3,
        outcome={
            "result": "follow_up",
            "next_step": "Second call with her co-founder to agree on the instalments.",
            "follow_up_day": 4,
            "notes": "Very interested; the co-founder holds the budget.",
        },
    ),
    Call(
        ACME,
        0,
        PRIYA,
        5,
        -4,
        1,
        outcome={
            "result": "won",
            "deal": 480000,
            "then": "dispute",
            "dispute": "Thomas told us he only agreed to a 3-month trial, not the full 6 months.",
            "notes": "Agreed on the 6-month programme, training budget approved.",
        },
    ),
    Call(
        ACME,
        0,
        CLAIRE,
        9,
        -2,
        0,
        outcome={
            "result": "won",
            "deal": 450000,
            "then": None,
            "technique": "alternative_choice",
            "notes": "Closed at a negotiated €4,500, paid by the company.",
        },
    ),
    Call(ACME, 0, CLAIRE, 6, 1, 1, via="booking_page"),
    Call(ACME, 1, CLAIRE, 7, 2, 0, channel="phone"),
    Call(ACME, 0, PRIYA, 11, 2, 1),
    Call(ACME, 1, DIEGO, 8, 3, 1, via="booking_page"),
    Call(ACME, 1, CLAIRE, 10, 6, 2),
    # --- Northwind SaaS (USD) ---------------------------------------------------------------
    Call(
        NORTHWIND,
        0,
        JAKE,
        0,
        -27,
        1,
        outcome={
            "result": "won",
            "deal": 1200000,
            "then": "confirm",
            "paid": True,
            "technique": "summary",
            "buying_signals": ["Asked for the order form", "Invited the CFO"],
            "notes": "Annual Team plan, 25 seats, onboarding starts next week.",
            "review": (5, "Jake ran the call like one of our own account executives."),
        },
    ),
    Call(
        NORTHWIND,
        0,
        DIEGO,
        1,
        -18,
        0,
        outcome={
            "result": "lost",
            "lost_reason": "competitor",
            "lost_reason_text": "Chose a competitor bundled with their warehouse.",
            "objections": ["Already has a bundled tool"],
            "then": "confirm",
        },
    ),
    Call(
        NORTHWIND,
        0,
        PRIYA,
        2,
        -12,
        1,
        outcome={
            "result": "won",
            "deal": 960000,
            "then": "confirm",
            "paid": True,
            "technique": "direct_ask",
            "notes": "20 seats annual, local invoice arranged with finance.",
            "review": (4, "Priya answered every finance question clearly and got the deal over the line."),
        },
    ),
    Call(
        NORTHWIND,
        1,
        JAKE,
        3,
        -8,
        2,
        outcome={
            "result": "lost",
            "lost_reason": "authority",
            "lost_reason_text": "The CIO wants to run an RFP first.",
            "objections": ["Security review length"],
            "then": "confirm",
        },
    ),
    Call(NORTHWIND, 0, JAKE, 4, -5, 3, outcome={"result": "no_show", "notes": "Olivia did not join; sent a new link."}),
    Call(
        NORTHWIND,
        0,
        DIEGO,
        6,
        -3,
        1,
        outcome={
            "result": "follow_up",
            "next_step": "Demo of the experiment reports to the VP growth.",
            "follow_up_day": 5,
            "notes": "The VP growth must see the reports before any decision.",
        },
    ),
    Call(NORTHWIND, 0, JAKE, 8, 1, 2, via="booking_page"),
    Call(NORTHWIND, 1, JAKE, 7, 2, 1),
    Call(NORTHWIND, 0, DIEGO, 9, 3, 0, channel="phone"),
    Call(NORTHWIND, 0, PRIYA, 10, 4, 1),
    Call(NORTHWIND, 1, JAKE, 11, 8, 0),
]

# What prospects answer to the offers' booking questions.
QUESTION_ANSWERS: dict[str, str] = {
    "How many people do you manage?": "Twelve, in two teams.",
    "Who pays for the coaching?": "My company's training budget.",
    "What role are you aiming for?": "Head of department within a year.",
    "When would you like to start?": "With the next cohort.",
    "How many seats do you need?": "Around 25.",
    "Which tool are you using today?": "Spreadsheets and a homegrown dashboard.",
    "How large is your company?": "About 900 employees.",
    "Who else joins the decision?": "Our CIO and the head of data.",
}

# Manual-mode payout details of the closers who earn commissions (a manual run pays only closers
# with usable details); the closer in review has none yet. Valid by the same checks as the form.
PAYOUT_DETAILS: dict[str, dict[str, str]] = {
    "claire@closers.demo": {"scheme": "iban", "holder": "Claire Martin", "iban": "FR1420041010050500013M02606"},
    "diego@closers.demo": {
        "scheme": "other",
        "holder": "Diego Alvarez",
        "bank_name": "Banco do Brasil",
        "account_number": "123456789",
        "bic": "BRASBRRJ",
        "country": "BR",
    },
    "priya@closers.demo": {
        "scheme": "other",
        "holder": "Priya Sharma",
        "bank_name": "State Bank of India",
        "account_number": "30012345678",
        "bic": "SBININBB",
        "country": "IN",
    },
    "jake@closers.demo": {
        "scheme": "us",
        "holder": "Jake Thompson",
        "routing_number": "021000021",
        "account_number": "987654321",
    },
}
