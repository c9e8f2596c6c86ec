"""Calendar months (cep/common/months.py): one definition for the monthly export and the indicators."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cep.common import dates, months


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2999, 12, 31)))
def test_a_day_lies_within_the_bounds_of_its_month(day):
    start, end = months.month_bounds(day)
    assert start.day == 1 and start <= day <= end
    assert (end + datetime.timedelta(days=1)).day == 1 and end.month == day.month


def test_month_ends_and_ranges():
    assert months.month_end(datetime.date(2024, 2, 10)) == datetime.date(2024, 2, 29)
    assert months.month_end(datetime.date(2026, 12, 1)) == datetime.date(2026, 12, 31)
    assert months.months_between(datetime.date(2025, 11, 20), datetime.date(2026, 2, 1)) == [
        datetime.date(2025, 11, 1), datetime.date(2025, 12, 1), datetime.date(2026, 1, 1), datetime.date(2026, 2, 1),
    ]  # fmt: skip
    assert months.months_between(datetime.date(2026, 3, 1), datetime.date(2026, 2, 1)) == []
    assert months.last_complete_month(datetime.date(2026, 1, 31)) == datetime.date(2025, 12, 1)


def test_last_complete_month_reads_today_when_called(monkeypatch):
    monkeypatch.setattr(dates, "today", lambda: datetime.date(2024, 4, 15))
    assert months.last_complete_month() == datetime.date(2024, 3, 1)


@pytest.mark.parametrize("text, month", [("2024-03", (2024, 3)), (" 2024-3 ", (2024, 3)), ("2026-12", (2026, 12))])
def test_parse_month(text, month):
    assert months.parse_month(text) == datetime.date(*month, 1)


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "mars", "", None, "24-03", "2024/03"])
def test_a_bad_month_is_refused_in_french(text):
    with pytest.raises(ValueError, match="attendu mm/aaaa"):
        months.parse_month(text)


def test_french_labels():
    assert months.month_label(datetime.date(2024, 8, 1)) == "août 2024"
    assert months.month_short(datetime.date(2025, 1, 1)) == "janv. 25"


@pytest.mark.parametrize("text", ["0000-01", "0001-01", "1899-12", "2200-01", "9999-12"])
def test_a_month_out_of_the_calendar_range_is_refused_in_french(text):
    with pytest.raises(ValueError, match="l'année doit être comprise entre 1900 et 2199"):
        months.parse_month(text)


@pytest.mark.parametrize("text", ["٢٠٢٤-٠٣", "２０２４-０３", "2024-٣", "²⁰²⁴-03", "10000-01", "2024-03\x00"])
def test_a_month_with_other_digits_or_a_nul_is_refused(text):
    with pytest.raises(ValueError, match="AAAA-MM"):
        months.parse_month(text)
