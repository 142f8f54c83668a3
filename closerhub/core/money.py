"""Money: integer minor units plus an ISO 4217 currency; parsing and formatting via Babel.

Pure domain code (no Flask, no database, no clock). The number of decimals of a currency
comes from Babel (EUR 2, JPY 0, BHD 3). Nothing here rounds: values that do not fit the
currency's minor unit are refused. Rounding rules live in ``core.commission``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, total_ordering

from babel import Locale, UnknownLocaleError
from babel import numbers as bn

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _, ngettext

MAX_MINOR_UNITS = 10**15  # largest amount accepted from user or API input
_NOT_MONEY = frozenset({"XXX", "XTS"})  # ISO codes for "no currency" and "testing"
_SPACES = " \u00a0\u202f"
_MINUS = ("-", "\u2212")


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, field_errors={field: message})


class CurrencyMismatchError(ValidationError, ValueError):
    """Two amounts in different currencies were combined or compared."""


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(bn.list_currencies()) - _NOT_MONEY


def known_currencies() -> frozenset[str]:
    """Every upper-case ISO 4217 code an amount may be in (not the "no currency" and "testing" codes)."""
    return _known_currencies()


def _currency(code: object, field: str = "currency") -> str:
    if not isinstance(code, str) or code.upper() not in _known_currencies():
        raise _invalid(
            field, _("Unknown currency %(currency)s; use an ISO 4217 code such as EUR.", currency=repr(code))
        )
    return code.upper()


def currency_exponent(code: str) -> int:
    """Number of decimals of the currency's minor unit (EUR 2, JPY 0, BHD 3)."""
    return bn.get_currency_precision(_currency(code))


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents for EUR, yen for JPY) of an upper-case ISO 4217 currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.amount) is not int:  # refuses bool, float, Decimal, str
            raise TypeError(f"Money amount must be an int of minor units, not {type(self.amount).__name__}")
        object.__setattr__(self, "currency", _currency(self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``."""
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(
                _("Cannot combine %(first)s and %(second)s amounts.", first=self.currency, second=other.currency),
                field_errors={
                    "currency": _("Expected %(expected)s, got %(got)s.", expected=self.currency, got=other.currency)
                },
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount < other.amount

    def is_zero(self) -> bool:
        """True when the amount is zero."""
        return self.amount == 0

    def is_positive(self) -> bool:
        """True when the amount is strictly above zero."""
        return self.amount > 0

    def is_negative(self) -> bool:
        """True when the amount is strictly below zero."""
        return self.amount < 0

    def to_decimal(self) -> Decimal:
        """The amount in major units, exactly (``Money(123450, "EUR")`` → ``Decimal("1234.50")``)."""
        return Decimal(f"{self.amount}e-{currency_exponent(self.currency)}")

    @classmethod
    def from_decimal(cls, value: Decimal | int, currency: str) -> Money:
        """Money from a major-unit Decimal; refuses more decimals than the currency has (no rounding).

        Trailing zeros are fine (``Decimal("12.500")`` EUR is 1250 cents); ``12.345`` EUR is refused.
        """
        if type(value) is int:
            value = Decimal(value)
        if not isinstance(value, Decimal) or not value.is_finite():
            raise _invalid("amount", _("Amount must be a finite Decimal, not %(value)s.", value=repr(value)))
        exp = currency_exponent(currency)
        sign, digits, exponent = value.as_tuple()
        units, shift = int("".join(map(str, digits))), int(exponent) + exp
        if units and len(digits) + shift > 40:
            raise _invalid("amount", _("Amount is too large."))
        if shift < 0:  # units < 10**len(digits), so a larger divisor leaves the same remainder
            units, rest = divmod(units, 10 ** min(-shift, len(digits)))
            if rest:
                raise _invalid(
                    "amount",
                    ngettext(
                        "%(currency)s amounts have at most %(num)d decimal.",
                        "%(currency)s amounts have at most %(num)d decimals.",
                        exp,
                        currency=currency.upper(),
                    ),
                )
        elif units:
            units *= 10**shift
        return cls(-units if sign else units, currency)

    def as_dict(self) -> dict[str, int | str]:
        """The API shape: ``{"amount": 123450, "currency": "EUR"}`` (amount in minor units)."""
        return {"amount": self.amount, "currency": self.currency}

    @classmethod
    def from_dict(cls, obj: object, field: str = "amount") -> Money:
        """Money from the API shape, refusing anything but an int ``amount`` and a known ``currency``.

        ``field`` prefixes the keys of ``field_errors`` (``price`` → ``price.amount``).
        """

        def fail(key: str | None, msg: str) -> ValidationError:
            return _invalid(f"{field}.{key}" if key else field, msg)

        if not isinstance(obj, Mapping):
            raise fail(None, _('Money must be an object like {"amount": 1250, "currency": "EUR"}.'))
        extra = set(obj) - {"amount", "currency"}
        if extra:
            fields = ", ".join(sorted(map(str, extra)))
            raise fail(
                None,
                ngettext(
                    "Unexpected money field: %(fields)s.",
                    "Unexpected money fields: %(fields)s.",
                    len(extra),
                    fields=fields,
                ),
            )
        amount, currency = obj.get("amount"), obj.get("currency")
        if type(amount) is not int:
            raise fail("amount", _("amount must be an integer number of minor units (e.g. 1250 for 12.50 EUR)."))
        if abs(amount) > MAX_MINOR_UNITS:
            raise fail("amount", _("amount is too large."))
        if not isinstance(currency, str):
            raise fail("currency", _("currency must be an ISO 4217 code such as EUR."))
        return cls(amount, _currency(currency, f"{field}.currency"))


def _locale(locale: str | Locale) -> Locale:
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise _invalid("locale", _("Unknown locale %(locale)s.", locale=repr(locale))) from exc


def _strip_symbol(s: str, symbols: set[str]) -> str:
    for sym in sorted(symbols, key=len, reverse=True):
        if s.upper().startswith(sym.upper()):
            return s[len(sym) :].strip()
        if s.upper().endswith(sym.upper()):
            return s[: -len(sym)].strip()
    return s


def parse_money(
    text: str, currency: str, locale: str = "en", *, allow_negative: bool = False, field: str = "amount"
) -> Money:
    """Parse user input such as ``"1,234.50"`` (en) or ``"1 234,50 €"`` (fr) into Money.

    Accepts the locale's grouping (any space kind when the locale groups with spaces) and an
    optional currency symbol or code before or after the number. Refuses empty input, a
    minus sign (unless ``allow_negative``), more decimals than the currency has, the other
    convention's separators (``"12.50"`` in fr is ambiguous), NaN, exponents and amounts
    above ``MAX_MINOR_UNITS``.
    """
    code = _currency(currency)
    loc = _locale(locale)
    if not isinstance(text, str) or not text.strip():
        raise _invalid(field, _("Enter an amount."))
    if len(text) > 64:
        raise _invalid(field, _("That amount is too long."))
    group, dec = bn.get_group_symbol(loc), bn.get_decimal_symbol(loc)
    symbols = {code, bn.get_currency_symbol(code, loc), bn.get_currency_symbol(code, "en")}
    s = text.strip()
    negative = s.startswith(_MINUS)  # a minus sign may come before or after a leading symbol
    s = _strip_symbol(s[1:].strip() if negative else s, symbols)
    if not negative and s.startswith(_MINUS):
        negative, s = True, s[1:].strip()
    if group in _SPACES:
        s = re.sub(f"[{_SPACES}]", group, s)
    elif group in "'\u2019":
        s = s.replace("'", group).replace("\u2019", group)
    g, d = re.escape(group), re.escape(dec)
    if not re.fullmatch(rf"(?:[0-9]+(?:{g}[0-9]+)*)?(?:{d}[0-9]+)?", s) or not any(c.isdigit() for c in s):
        exp = currency_exponent(code)
        example = f"1{group}234{dec}{'5' * exp}" if exp else f"1{group}234"
        if exp:
            message = _(
                "Enter an amount in %(currency)s such as %(example)s, using %(separator)s for decimals.",
                currency=code,
                example=example,
                separator=repr(dec),
            )
        else:
            message = _("Enter an amount in %(currency)s such as %(example)s.", currency=code, example=example)
        raise _invalid(field, message)
    try:
        value = bn.parse_decimal(s, locale=loc, strict=True)
    except bn.NumberFormatError as exc:
        raise _invalid(
            field,
            _("%(text)s is not a well-formed amount; check the thousands separators.", text=repr(text.strip())),
        ) from exc
    if negative and not allow_negative:
        raise _invalid(field, _("The amount cannot be negative."))
    try:
        money = Money.from_decimal(-value if negative else value, code)
    except ValidationError as exc:
        raise _invalid(field, exc.message) from exc
    if abs(money.amount) > MAX_MINOR_UNITS:
        raise _invalid(field, _("That amount is too large."))
    return money


def format_money(money: Money, locale: str | Locale = "en") -> str:
    """Format for display with the locale's symbol and separators: ``€1,234.50`` (en), ``1 234,50 €`` (fr)."""
    return bn.format_currency(money.to_decimal(), money.currency, locale=_locale(locale))
