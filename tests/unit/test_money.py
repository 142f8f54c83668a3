"""Unit tests for closerhub.core.money: minor units, currency exponents, parsing and formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closerhub.core.errors import ValidationError
from closerhub.core.money import (
    MAX_MINOR_UNITS,
    CurrencyMismatchError,
    Money,
    currency_exponent,
    format_money,
    parse_money,
)

NNBSP = "\u202f"  # narrow no-break space: French thousands separator in CLDR
NBSP = "\u00a0"
CURRENCIES = ["EUR", "USD", "JPY", "BHD", "GBP"]


# --- currency exponents -----------------------------------------------------------------------


@pytest.mark.parametrize(("code", "exponent"), [("EUR", 2), ("USD", 2), ("GBP", 2), ("JPY", 0), ("BHD", 3)])
def test_currency_exponent_comes_from_babel(code, exponent):
    assert currency_exponent(code) == exponent


@pytest.mark.parametrize("code", ["XYZ", "", "EURO", "XXX", None, 978])
def test_refuses_unknown_currency_codes(code):
    with pytest.raises(ValidationError) as exc:
        currency_exponent(code)
    assert "currency" in exc.value.field_errors


# --- the Money value --------------------------------------------------------------------------


def test_money_upper_cases_its_currency():
    assert Money(5, "eur") == Money(5, "EUR")
    assert Money(5, "eur").currency == "EUR"


@pytest.mark.parametrize("amount", [12.5, 12.0, True, Decimal("12"), "12", None])
def test_money_refuses_an_amount_that_is_not_an_int(amount):
    with pytest.raises(TypeError):
        Money(amount, "EUR")


def test_money_refuses_unknown_currency_xyz():
    with pytest.raises(ValidationError):
        Money(100, "XYZ")


def test_money_is_immutable_and_hashable():
    money = Money(100, "EUR")
    with pytest.raises(AttributeError):
        money.amount = 5  # type: ignore[misc]
    assert len({Money(100, "EUR"), Money(100, "EUR"), Money(100, "USD")}) == 2


def test_adds_subtracts_and_negates_within_one_currency():
    assert Money(150, "EUR") + Money(50, "EUR") == Money(200, "EUR")
    assert Money(150, "EUR") - Money(200, "EUR") == Money(-50, "EUR")
    assert -Money(150, "EUR") == Money(-150, "EUR")


def test_compares_within_one_currency():
    assert Money(1, "EUR") < Money(2, "EUR") <= Money(2, "EUR")
    assert Money(3, "EUR") > Money(2, "EUR") >= Money(2, "EUR")
    assert max(Money(1, "JPY"), Money(7, "JPY"), Money(3, "JPY")) == Money(7, "JPY")


def test_zero_positive_and_negative_predicates():
    assert Money.zero("JPY") == Money(0, "JPY")
    assert Money.zero("EUR").is_zero() and not Money.zero("EUR").is_positive()
    assert Money(1, "EUR").is_positive() and not Money(1, "EUR").is_negative()
    assert Money(-1, "EUR").is_negative()


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixing_currencies_raises(operation):
    with pytest.raises(CurrencyMismatchError) as exc:
        operation(Money(100, "EUR"), Money(100, "USD"))
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, ValidationError)


def test_different_currencies_are_simply_not_equal():
    assert Money(100, "EUR") != Money(100, "USD")


def test_arithmetic_with_plain_numbers_is_refused():
    with pytest.raises(TypeError):
        Money(100, "EUR") + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(100, "EUR") < 1  # type: ignore[operator]  # noqa: B015


# --- decimals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "value"),
    [
        (Money(123450, "EUR"), Decimal("1234.50")),
        (Money(1235, "JPY"), Decimal("1235")),
        (Money(1234500, "BHD"), Decimal("1234.500")),
        (Money(-5, "EUR"), Decimal("-0.05")),
        (Money(0, "BHD"), Decimal("0")),
    ],
)
def test_to_decimal_is_exact_in_major_units(money, value):
    assert money.to_decimal() == value
    assert Money.from_decimal(value, money.currency) == money


def test_to_decimal_keeps_the_currency_decimals():
    assert str(Money(123450, "EUR").to_decimal()) == "1234.50"
    assert str(Money(1, "BHD").to_decimal()) == "0.001"


def test_from_decimal_accepts_trailing_zeros_beyond_the_exponent():
    assert Money.from_decimal(Decimal("12.500"), "EUR") == Money(1250, "EUR")
    assert Money.from_decimal(Decimal("100.0"), "JPY") == Money(100, "JPY")
    assert Money.from_decimal(Decimal("1E+3"), "EUR") == Money(100000, "EUR")


@pytest.mark.parametrize(
    ("value", "currency"),
    [
        (Decimal("12.345"), "EUR"),
        (Decimal("100.5"), "JPY"),
        (Decimal("0.0001"), "BHD"),
        (Decimal("1E-999999"), "EUR"),
    ],
)
def test_from_decimal_refuses_more_decimals_than_the_currency_has(value, currency):
    with pytest.raises(ValidationError):
        Money.from_decimal(value, currency)


@pytest.mark.parametrize("value", [12.5, Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), "12.50"])
def test_from_decimal_refuses_floats_strings_and_non_finite_values(value):
    with pytest.raises(ValidationError):
        Money.from_decimal(value, "EUR")


def test_from_decimal_refuses_absurd_exponents_without_computing_them():
    with pytest.raises(ValidationError):
        Money.from_decimal(Decimal("1E+999999999"), "EUR")
    assert Money.from_decimal(Decimal("0E+999999999"), "EUR") == Money(0, "EUR")


# --- API shape --------------------------------------------------------------------------------


def test_as_dict_is_the_api_shape():
    assert Money(1250, "EUR").as_dict() == {"amount": 1250, "currency": "EUR"}
    assert Money.from_dict({"amount": 1250, "currency": "EUR"}) == Money(1250, "EUR")


@pytest.mark.parametrize(
    ("obj", "error_key"),
    [
        ({"amount": 12.5, "currency": "EUR"}, "amount.amount"),
        ({"amount": 12.0, "currency": "EUR"}, "amount.amount"),
        ({"amount": "1250", "currency": "EUR"}, "amount.amount"),
        ({"amount": True, "currency": "EUR"}, "amount.amount"),
        ({"currency": "EUR"}, "amount.amount"),
        ({"amount": MAX_MINOR_UNITS + 1, "currency": "EUR"}, "amount.amount"),
        ({"amount": 1250, "currency": "XYZ"}, "amount.currency"),
        ({"amount": 1250, "currency": 978}, "amount.currency"),
        ({"amount": 1250}, "amount.currency"),
        ({"amount": 1250, "currency": "EUR", "cents": True}, "amount"),
        ([1250, "EUR"], "amount"),
        ("12.50 EUR", "amount"),
        (None, "amount"),
    ],
)
def test_from_dict_refuses_bad_shapes_with_a_clear_field_error(obj, error_key):
    with pytest.raises(ValidationError) as exc:
        Money.from_dict(obj)
    assert list(exc.value.field_errors) == [error_key]
    assert exc.value.message


def test_from_dict_rejects_float_amount_and_says_minor_units():
    with pytest.raises(ValidationError) as exc:
        Money.from_dict({"amount": 12.5, "currency": "EUR"}, field="price")
    assert "minor units" in exc.value.field_errors["price.amount"]


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "locale", "amount"),
    [
        ("1234.50", "EUR", "en", 123450),
        ("1,234.50", "EUR", "en", 123450),
        ("1,234,567.89", "USD", "en", 123456789),
        ("1234,50", "EUR", "fr", 123450),
        ("1 234,50", "EUR", "fr", 123450),
        (f"1{NNBSP}234,50", "EUR", "fr", 123450),
        (f"1{NBSP}234,50", "EUR", "fr", 123450),
        ("  12.5  ", "EUR", "en", 1250),
        ("0", "EUR", "en", 0),
        (".5", "EUR", "en", 50),
        ("€1,234.50", "EUR", "en", 123450),
        ("€ 12", "EUR", "en", 1200),
        ("12 EUR", "EUR", "en", 1200),
        ("EUR 12", "EUR", "en", 1200),
        ("eur12", "EUR", "en", 1200),
        (f"1 234,50{NBSP}€", "EUR", "fr", 123450),
        (f"1{NNBSP}234,50{NBSP}$US", "USD", "fr", 123450),
        ("1,235", "JPY", "en", 1235),
        ("¥1,235", "JPY", "en", 1235),
        ("1,234.567", "BHD", "en", 1234567),
        ("1 234,567 BHD", "BHD", "fr", 1234567),
        ("12.500", "EUR", "en", 1250),
        ("1.234,50", "EUR", "de", 123450),
        ("1'234.50", "CHF", "de_CH", 123450),
    ],
)
def test_parses_localised_amounts_into_minor_units(text, currency, locale, amount):
    assert parse_money(text, currency, locale) == Money(amount, currency)


def test_parses_french_grouping_with_narrow_no_break_space():
    assert parse_money(f"1{NNBSP}234{NNBSP}567,89", "EUR", "fr") == Money(123456789, "EUR")


def test_parses_english_grouping_with_commas():
    assert parse_money("1,234.50", "EUR", "en") == Money(123450, "EUR")


def test_jpy_has_no_decimals():
    assert parse_money("1235", "JPY") == Money(1235, "JPY")
    assert Money(1235, "JPY").to_decimal() == Decimal(1235)


def test_bhd_has_three_decimals():
    assert parse_money("1.234", "BHD") == Money(1234, "BHD")
    assert format_money(Money(1234, "BHD"), "en") == "BHD1.234"


@pytest.mark.parametrize(
    ("text", "currency", "locale"),
    [
        ("12.345", "EUR", "en"),
        ("100.5", "JPY", "en"),
        ("1,5", "JPY", "fr"),
        ("1.2345", "BHD", "en"),
        ("0,001", "EUR", "fr"),
    ],
)
def test_refuses_more_decimals_than_the_currency_has(text, currency, locale):
    with pytest.raises(ValidationError) as exc:
        parse_money(text, currency, locale)
    assert f"{currency} amounts have at most {currency_exponent(currency)} decimal" in exc.value.message


def test_rejects_12_345_in_eur():
    with pytest.raises(ValidationError):
        parse_money("12.345", "EUR")


@pytest.mark.parametrize("text", ["-5", "-€5", "€-5", "−5", "-0", f"-5{NBSP}€"])
def test_rejects_negative_amounts_by_default(text):
    with pytest.raises(ValidationError) as exc:
        parse_money(text, "EUR", "fr" if "," in text or NBSP in text else "en")
    assert "negative" in exc.value.message


@pytest.mark.parametrize(("text", "locale"), [("-5", "en"), ("-€5", "en"), ("€-5", "en"), (f"-5{NBSP}€", "fr")])
def test_accepts_negative_amounts_when_allowed(text, locale):
    assert parse_money(text, "EUR", locale, allow_negative=True) == Money(-500, "EUR")


@pytest.mark.parametrize("text", ["", "   ", NBSP, "€", "EUR"])
def test_rejects_empty_input(text):
    with pytest.raises(ValidationError) as exc:
        parse_money(text, "EUR")
    assert exc.value.field_errors["amount"]


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "12abc",
        "NaN",
        "nan",
        "Infinity",
        "inf",
        "-Infinity",
        "1e5",
        "1E5",
        "0x10",
        "1_000",
        "+5",
        "5-",
        "--5",
        "1.2.3",
        "12,34.5",
        "1,23",
        "1,2345",
        ",123",
        "1 234.50",
        "$5",
        "€5€",
        "١٢٣",
        "5 5",
    ],
)
def test_rejects_garbage_and_malformed_numbers(text):
    with pytest.raises(ValidationError) as exc:
        parse_money(text, "EUR", "en")
    assert exc.value.field_errors["amount"]


@pytest.mark.parametrize("text", ["12.50", "1.234,50", "1,234.50", "1.234"])
def test_rejects_the_other_conventions_separator_as_ambiguous_in_french(text):
    with pytest.raises(ValidationError) as exc:
        parse_money(text, "EUR", "fr")
    assert "','" in exc.value.message


def test_rejects_a_non_string():
    with pytest.raises(ValidationError):
        parse_money(12.5, "EUR")  # type: ignore[arg-type]


def test_rejects_absurdly_large_amounts():
    assert parse_money("10000000000000", "EUR") == Money(MAX_MINOR_UNITS, "EUR")
    with pytest.raises(ValidationError) as exc:
        parse_money("10000000000000.01", "EUR")
    assert "too large" in exc.value.message
    with pytest.raises(ValidationError):
        parse_money("9" * 60, "EUR")
    with pytest.raises(ValidationError):
        parse_money("1" * 100, "EUR")


def test_parse_refuses_unknown_currency_and_locale():
    with pytest.raises(ValidationError) as exc:
        parse_money("5", "XYZ")
    assert "currency" in exc.value.field_errors
    with pytest.raises(ValidationError) as exc:
        parse_money("5", "EUR", "zz_ZZ")
    assert "locale" in exc.value.field_errors


def test_parse_error_names_the_callers_field():
    with pytest.raises(ValidationError) as exc:
        parse_money("abc", "EUR", field="commission_base")
    assert list(exc.value.field_errors) == ["commission_base"]


# --- formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(123450, "EUR"), "en", "€1,234.50"),
        (Money(123450, "EUR"), "fr", f"1{NNBSP}234,50{NBSP}€"),
        (Money(1235, "JPY"), "en", "¥1,235"),
        (Money(1234500, "BHD"), "en", "BHD1,234.500"),
        (Money(5, "USD"), "en", "$0.05"),
        (Money(-5, "EUR"), "en", "-€0.05"),
        (Money(123450, "EUR"), "de", f"1.234,50{NBSP}€"),
    ],
)
def test_formats_with_the_locales_symbol_and_separators(money, locale, text):
    assert format_money(money, locale) == text


def test_formats_amounts_beyond_float_precision_exactly():
    assert format_money(Money(10**15 + 1, "EUR"), "en") == "€10,000,000,000,000.01"


# --- properties -------------------------------------------------------------------------------

currencies = st.sampled_from(CURRENCIES)
amounts = st.integers(min_value=0, max_value=MAX_MINOR_UNITS)
signed = st.integers(min_value=-(10**18), max_value=10**18)


@settings(deadline=None)
@given(amount=amounts, currency=currencies, locale=st.sampled_from(["en", "fr"]))
def test_parsing_what_we_format_gives_back_the_same_money(amount, currency, locale):
    money = Money(amount, currency)
    assert parse_money(format_money(money, locale), currency, locale) == money


@given(amount=signed, currency=currencies)
def test_from_decimal_inverts_to_decimal(amount, currency):
    money = Money(amount, currency)
    assert Money.from_decimal(money.to_decimal(), currency) == money


@given(amount=st.integers(min_value=-MAX_MINOR_UNITS, max_value=MAX_MINOR_UNITS), currency=currencies)
def test_from_dict_inverts_as_dict(amount, currency):
    money = Money(amount, currency)
    assert Money.from_dict(money.as_dict()) == money


@given(a=signed, b=signed, c=signed, currency=currencies)
def test_addition_is_associative_and_commutative(a, b, c, currency):
    x, y, z = Money(a, currency), Money(b, currency), Money(c, currency)
    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    assert x - y == x + (-y)
    assert x + Money.zero(currency) == x


@given(a=signed, b=signed, pair=st.lists(currencies, min_size=2, max_size=2, unique=True))
def test_mixing_currencies_always_raises(a, b, pair):
    x, y = Money(a, pair[0]), Money(b, pair[1])
    with pytest.raises(CurrencyMismatchError):
        x + y
    with pytest.raises(CurrencyMismatchError):
        x - y
    with pytest.raises(CurrencyMismatchError):
        x < y  # noqa: B015


@given(a=signed, b=signed, currency=currencies)
def test_ordering_follows_the_amounts(a, b, currency):
    assert (Money(a, currency) < Money(b, currency)) == (a < b)
    assert (Money(a, currency) >= Money(b, currency)) == (a >= b)
