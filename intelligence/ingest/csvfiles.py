"""CSV files as ingestion records: one row per record, the record's field names as headers.

Values arrive as text; they become what the batch API takes: whole numbers for ``*_paise``,
``quantity`` and ``price_paise`` columns, JSON objects for ``attributes`` and ``properties``, and
for orders an ``items`` column of ``SKU:QUANTITY:UNIT_PRICE_PAISE`` entries separated by ``;``.
Empty cells are left out (the field's default applies). Rows with nothing in them are skipped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from suresh_ai.errors import ValidationFailed

CSV_KINDS = ("customers", "products", "orders", "events", "spend")
INTEGER_SUFFIXES = ("_paise",)
INTEGER_FIELDS = ("quantity",)
JSON_FIELDS = ("attributes", "properties")


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
# Longer than any amount we take (MAX_PAISE has 16 digits), and far below the 4,300 digits past
# which Python refuses to read a number at all.
_MAX_DIGITS = 30


def _whole_number(text: str) -> Any:
    """A cell's whole number as an int, for the schema to check its range; other text as it is
    (the schema reports "A valid integer is required."). Only ASCII digits count: "²" passes
    str.isdigit() but int() refuses it. A number of more than 30 digits becomes one just as far out
    of range with the same sign (10^30), so the row error names the field's limit."""
    stripped = text.strip()
    if not _WHOLE_NUMBER.fullmatch(stripped):
        return stripped
    digits = stripped.lstrip("-")
    if len(digits) > _MAX_DIGITS:
        return -(10**_MAX_DIGITS) if stripped.startswith("-") else 10**_MAX_DIGITS
    return int(stripped)


def _value(name: str, text: str) -> Any:
    if name.endswith(INTEGER_SUFFIXES) or name in INTEGER_FIELDS:
        return _whole_number(text)
    if name in JSON_FIELDS:
        try:
            return json.loads(text)
        except ValueError:
            return text  # "must be a dictionary"
    if name == "items":
        items = []
        for entry in (e.strip() for e in text.split(";") if e.strip()):
            parts = entry.split(":")
            if len(parts) != 3:
                return text  # the schema reports "items: expected a list"
            sku, quantity, price = (p.strip() for p in parts)
            items.append({"sku": sku, "quantity": _whole_number(quantity), "unit_price_paise": _whole_number(price)})
        return items
    return text.strip()


# What a CSV cell's author should write, for the batch API's messages about a value's JSON type
# (the cell's text reached it as it was because it did not parse).
CELL_FORMATS = {
    "items": "Write items as SKU:QUANTITY:UNIT_PRICE_PAISE, entries separated by ';' (e.g. MP-500:2:24950).",
    "attributes": 'Write a JSON object, e.g. {"tier": "gold"}.',
    "properties": 'Write a JSON object, e.g. {"sku": "MP-500"}.',
}


def csv_reason(field: str, reason: str) -> str:
    """The batch API's reason for a field, told in the CSV's terms where the cell has a format."""
    if field in CELL_FORMATS and reason.startswith("Expected a "):
        return CELL_FORMATS[field]
    return reason


def csv_rows(data: bytes) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """(normalised headers, iterator of (line number, record)); refuses a file that is not UTF-8
    text with a header row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.for_field("file", "Save the CSV as UTF-8 and upload it again.") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ValidationFailed.for_field("file", "The file is empty: a header row of field names comes first.")
    if len(header) == 1 and ";" in header[0]:
        raise ValidationFailed.for_field("file", "The columns are separated by ';': save the file with commas.")
    names = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in header]

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            record = {n: _value(n, cell) for n, cell in zip(names, row, strict=False) if n and cell.strip() != ""}
            yield reader.line_num, record

    return names, rows()


def count_rows(data: bytes) -> int:
    """Rows with something in them, after the header (for the progress total)."""
    _, rows = csv_rows(data)
    return sum(1 for _ in rows)
