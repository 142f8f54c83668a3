"""Where recording a phone or video call needs the consent of every party ("all-party consent").

A conservative table, kept short and sourced; it is not legal advice. When an offer declares
that its calls are recorded, the booking page says so to everyone, and asks for an explicit
consent (a checkbox, required) from prospects whose jurisdiction is listed here, or unknown.

US states — source: Reporters Committee for Freedom of the Press, "Reporter's Recording Guide"
(https://www.rcfp.org/reporters-recording-guide/), and Justia, "Recording Phone Calls and
Conversations: 50-State Survey" (https://www.justia.com/50-state-surveys/recording-phone-calls-and-conversations/):
the states that require every party's consent to record a private telephone conversation
(Delaware and Michigan are disputed in case law; listed to be safe).

Countries — sources, each the national criminal code's article on recording private words
without consent: Germany §201 StGB; Austria §120 StGB; Switzerland art. 179bis/179ter StGB;
France art. 226-1 Code pénal; Portugal art. 199 Código Penal.

The jurisdiction is read from the prospect's phone number (``phonenumbers``: its country, and
for US numbers the state of the area code from its geocoder); no number, no jurisdiction: unknown.
"""

from __future__ import annotations

import phonenumbers

ALL_PARTY_US_STATES: dict[str, str] = {
    "CA": "California",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "IL": "Illinois",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MT": "Montana",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "PA": "Pennsylvania",
    "WA": "Washington",
}
ALL_PARTY_COUNTRIES: dict[str, str] = {
    "AT": "§120 StGB",
    "CH": "art. 179bis/179ter StGB",
    "DE": "§201 StGB",
    "FR": "art. 226-1 Code pénal",
    "PT": "art. 199 Código Penal",
}
_STATE_BY_NAME = {name: code for code, name in ALL_PARTY_US_STATES.items()}


def jurisdiction_of(phone_e164: str | None) -> str | None:
    """``"FR"``, ``"US-CA"``, ``"US"`` (a US number whose state we cannot tell) or None (no valid number)."""
    if not phone_e164:
        return None
    try:
        number = phonenumbers.parse(phone_e164, None)
    except phonenumbers.NumberParseException:
        return None
    country = phonenumbers.region_code_for_number(number)
    if not country:
        return None
    if country != "US":
        return country
    # Imported here, not at the top: the geocoder loads every language's place names for every
    # prefix (most of a second of CPU per process, in every web, worker and CLI process, and in
    # every test process that imports the app), and only a US number's state needs it. Not a cycle.
    from phonenumbers import geocoder

    place = geocoder.description_for_number(number, "en")
    if ", " in place:
        return f"US-{place.rsplit(', ', 1)[1]}"
    code = _STATE_BY_NAME.get(place)
    return f"US-{code}" if code else "US"


def needs_explicit_consent(jurisdiction: str | None) -> bool:
    """True for an all-party-consent jurisdiction, and for an unknown one (a US number without its state too)."""
    if jurisdiction is None or jurisdiction == "US":
        return True
    if jurisdiction.startswith("US-"):
        return jurisdiction[3:] in ALL_PARTY_US_STATES
    return jurisdiction in ALL_PARTY_COUNTRIES
