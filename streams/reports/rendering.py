"""How a report becomes its two files. Pure and deterministic: the same report gives the
same bytes, so a re-run of a job can be recognised (same SHA-256) and an auditor can
rebuild a report and compare. Nothing time-dependent (no "generated at") goes into the
content; when it was written is the index's `created_at`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

FORMAT_VERSION = 1
Cell = str | int | bool | Decimal | None


@dataclass(frozen=True, slots=True)
class RenderedReport:
    csv: bytes
    json: bytes
    row_count: int  # data rows of the CSV (its header not counted)

    @property
    def files(self) -> dict[str, bytes]:
        return {"csv": self.csv, "json": self.json}


def decimal_text(value: Decimal | None) -> str | None:
    """Money and scores as plain decimal strings ("1250.00", never "1.25E+3"), never floats."""
    return None if value is None else format(value, "f")


# A spreadsheet opening the CSV runs a cell that starts with one of these as a formula
# (CSV injection, OWASP): text from users (names, bidder ids) gets a leading apostrophe,
# which spreadsheets show as text and hide. Numbers are written by us and never guarded.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return f"'{value}" if value.startswith(_FORMULA_STARTS) else value
    return str(value)


def render(
    document: dict[str, Any], header: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> RenderedReport:
    """The JSON document (keys sorted, indented, UTF-8, final newline) and the CSV table
    (RFC 4180: CRLF line ends, quoted where needed)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a report row has {len(row)} cells, its header {len(header)}")
        writer.writerow([cell_text(cell) for cell in row])
    body = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return RenderedReport(text.getvalue().encode(), body.encode(), len(rows))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
