"""Cells of exported CSV and XLSX files, safe against formula injection (OWASP « CSV Injection »).

A spreadsheet reads a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula (or
the start of one). Labels we export (referential labels, structure, région and network names…) are data typed by
people: such a text cell is written with a single quote in front, which spreadsheets show and never evaluate.
Numbers stay numbers: ``-3`` is a count, not a formula (in XLSX it is written as a number; in CSV it is left as
is, since a plain number cannot call anything). Every CSV and XLSX writer of the project goes through
``safe_cell`` (and XLSX writers through ``xlsx_row``); the monthly interface-contract file does not (its fields are
codes, dates and pseudonyms checked by the contract's schema, see docs/decisions.md).
"""

import re

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
# A plain number (optional sign, digits, optional decimal part with a comma or a point): harmless.
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?", re.ASCII)


def safe_cell(value):
    """The value to write in a cell: text starting with a dangerous character gets a leading single quote.

    Non-text values (int, float, dates, None) and texts that are plain numbers are returned unchanged."""
    if not isinstance(value, str) or not value or value[0] not in DANGEROUS_FIRST:
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values) -> list:
    """A CSV row with every cell through safe_cell."""
    return [safe_cell(v) for v in values]


def as_number(text: str):
    """« 12 » or « -3 » as an int (a number cell in XLSX); any other text unchanged."""
    if isinstance(text, str) and re.fullmatch(r"-?[0-9]+", text, re.ASCII):
        return int(text)
    return text


def xlsx_row(sheet, values, *, numbers: bool = False) -> list:
    """Append one row to an openpyxl sheet; text cells are stored as strings (data_type 's', never a formula).

    numbers=True writes integer texts (« 12 », « -3 ») as numbers. Returns the row's cells."""
    from openpyxl.cell.cell import Cell

    cells = []
    for col, value in enumerate(values, start=1):
        if numbers:
            value = as_number(value)
        value = safe_cell(value)
        cell = Cell(sheet, row=1, column=col)  # position fixed by append
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl would store a text starting with « = » as a formula
        cells.append(cell)
    sheet.append(cells)
    return list(sheet[sheet.max_row])
