"""The one CSV writer (``core.csv_safe``): text that a spreadsheet would run as a formula is
neutralised, numbers the code computed stay numbers, negative amounts included (issue 14, item 8)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from closerhub.analytics.export import to_csv
from closerhub.analytics.table_kinds import Column, Table
from closerhub.core.csv_safe import csv_text, resafe, safe_cell
from closerhub.core.money import Money


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]
)
def test_a_text_cell_that_a_spreadsheet_would_evaluate_gets_a_leading_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_plain_text_blanks_and_none_are_written_as_they_are() -> None:
    assert [safe_cell(v) for v in ("Ada Lovelace", "", None, "a=b", " =1")] == ["Ada Lovelace", "", "", "a=b", " =1"]


def test_numbers_the_code_computed_stay_numbers_even_negative_ones() -> None:
    assert [safe_cell(v) for v in (-1250, Decimal("-12.50"), 0, Decimal("10800.00"))] == [
        "-1250",
        "-12.50",
        "0",
        "10800.00",
    ]
    assert safe_cell("-12.50") == "'-12.50"  # the same digits as text (user input) are not trusted
    assert safe_cell(True) == "True"


def test_csv_text_neutralises_every_row_and_the_header() -> None:
    text = csv_text([["=name", "amount"], ["@Ada", Decimal("-5.00")]])
    assert text == "'=name,amount\r\n'@Ada,-5.00\r\n"


def test_resafe_neutralises_text_from_elsewhere_and_leaves_a_neutralised_file_unchanged() -> None:
    raw = 'name,errors\r\n"=HYPERLINK(""x"")",bad\r\n'
    once = resafe(raw)
    assert list(csv.reader(io.StringIO(once))) == [["name", "errors"], ['\'=HYPERLINK("x")', "bad"]]
    assert resafe(once) == once


def test_an_analytics_export_keeps_a_negative_amount_readable_and_quotes_a_formula_label() -> None:
    table = Table(
        slug="t",
        title="T",
        columns=[Column("offer", "Offer", "text"), Column("net", "Net", "money"), Column("rate", "Rate", "rate")],
        rows=[{"offer": "-Refunds", "net": Money(-1250, "EUR"), "rate": -0.125}],
    )
    rows = list(csv.reader(io.StringIO(to_csv(table, "UTC"))))
    assert rows == [["Offer", "Net", "Rate (%)"], ["'-Refunds", "-12.50", "-12.5"]]
