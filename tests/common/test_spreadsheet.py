"""Formula injection: every exported cell starting with =, +, -, @, tab or CR is neutralised; numbers stay numbers."""

import io

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from cep.common.spreadsheet import DANGEROUS_FIRST, safe_cell, safe_row, xlsx_row

PAYLOADS = ["=1+2", "+SUM(A1:A2)", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']


def test_dangerous_texts_get_a_leading_quote():
    for text in PAYLOADS:
        assert safe_cell(text) == "'" + text


def test_safe_texts_and_numbers_are_unchanged():
    for value in ["Femme", "", "Total", "< 3", "s", "12", "-3", "+4", "-1,5", 12, -3, 2.5, None]:
        assert safe_cell(value) == value
    assert safe_row(["=x", "y", -1]) == ["'=x", "y", -1]


@given(st.text())
def test_no_text_leaves_starting_with_a_dangerous_character_unless_it_is_a_number(text):
    out = safe_cell(text)
    assert out == text or out == "'" + text
    if out and out[0] in DANGEROUS_FIRST:
        assert out.lstrip("+-").replace(",", "").replace(".", "").isascii()
        float(out.replace(",", "."))  # a plain number


def _roundtrip(rows, numbers=False):
    book = Workbook()
    sheet = book.active
    for row in rows:
        xlsx_row(sheet, row, numbers=numbers)
    stream = io.BytesIO()
    book.save(stream)
    return load_workbook(io.BytesIO(stream.getvalue())).active


def test_xlsx_cells_are_never_formulas():
    sheet = _roundtrip([PAYLOADS])
    for cell in sheet[1]:
        assert cell.data_type == "s"
        assert cell.value.startswith("'")


def test_xlsx_counts_stay_numbers_negative_ones_too():
    sheet = _roundtrip([["Structure", "12", "-3", "< 3", "s"]], numbers=True)
    values = [c.value for c in sheet[1]]
    assert values == ["Structure", 12, -3, "< 3", "s"]
    assert [c.data_type for c in sheet[1]] == ["s", "n", "n", "s", "s"]
