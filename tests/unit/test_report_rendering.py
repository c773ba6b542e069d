"""Report files: deterministic bytes, Decimal as plain text, and no formula in a CSV cell."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from streams.reports.rendering import Cell, cell_text, render


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("bidder-7", "bidder-7"),
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_kept_as_text(value: str, text: str) -> None:
    assert cell_text(value) == text


def test_numbers_and_flags_are_written_as_they_are() -> None:
    assert cell_text(Decimal("1250.00")) == "1250.00"
    assert cell_text(Decimal("1.25E+3")) == "1250"
    assert cell_text(7) == "7"
    assert cell_text(True) == "true"
    assert cell_text(None) == ""


def test_the_same_report_renders_to_the_same_bytes_and_reads_back() -> None:
    rows: list[list[Cell]] = [["=cmd|' /C calc'!A0", Decimal("10.50")], ["ann", None]]

    first = render({"b": 1, "a": [2]}, ["bidder", "amount"], rows)
    again = render({"a": [2], "b": 1}, ["bidder", "amount"], rows)

    assert first == again
    assert first.row_count == 2
    assert first.json.endswith(b"\n")
    read = list(csv.reader(io.StringIO(first.csv.decode())))
    assert read == [["bidder", "amount"], ["'=cmd|' /C calc'!A0", "10.50"], ["ann", ""]]


def test_a_row_that_does_not_fit_the_header_is_refused() -> None:
    with pytest.raises(ValueError, match="2 cells"):
        render({}, ["only"], [["a", "b"]])
