"""Calendar months, as the monthly export and the indicators read them (DOMAIN.md §8, §9).

A month is the date of its first day (2024-03-01 is March 2024); its bounds are its first and last days, both
included. Generic date helpers (add_months, today) stay in cep/common/dates.py.
"""

import datetime
import re

from cep.common import dates

MONTHS_FR = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip
MONTHS_SHORT = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def month_start(day: datetime.date) -> datetime.date:
    """The month of a day: its first day."""
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    """The last day of the month of `day`."""
    return dates.add_months(month_start(day), 1) - datetime.timedelta(days=1)


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First and last days of the month of `day`."""
    return month_start(day), month_end(day)


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The months from the month of `start` up to `end`, both included."""
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = dates.add_months(month, 1)
    return months


def last_complete_month(on: datetime.date | None = None) -> datetime.date:
    """The month before the month of `on` (today by default): the last month that is over."""
    return dates.add_months(month_start(on or dates.today()), -1)


def parse_month(text: str | None) -> datetime.date:
    """'2024-03' (a month picker, the API) or '03/2024' (typed where the browser has no month picker) →
    date(2024, 3, 1); ValueError with a French message otherwise."""
    match = re.fullmatch(r"\s*(?P<year>\d{4})-(?P<month>\d{1,2})\s*", text or "") or re.fullmatch(
        r"\s*(?P<month>\d{1,2})/(?P<year>\d{4})\s*", text or ""
    )
    if not match or not 1 <= int(match.group("month")) <= 12:
        raise ValueError(f"Mois invalide « {text} » : attendu mm/aaaa (03/2024) ou AAAA-MM (2024-03).")
    return datetime.date(int(match.group("year")), int(match.group("month")), 1)


def month_label(month: datetime.date) -> str:
    """« mars 2024 »."""
    return f"{MONTHS_FR[month.month - 1]} {month.year}"


def month_short(month: datetime.date) -> str:
    """« mars 24 », « janv. 25 »."""
    return f"{MONTHS_SHORT[month.month - 1]} {month:%y}"
