"""Calendar months, as the monthly export and the indicators read them (docs/regles-cep.md §8, §9).

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


# Years a month of this application can be typed with: the CEP exists since 2014, and a month range or a period
# computed from one (a year back, a year on) must stay far from the calendar's ends (years 1 and 9999).
MIN_YEAR, MAX_YEAR = 1900, 2199


def parse_month(text: str | None) -> datetime.date:
    """'2024-03' (a month picker, the API) or '03/2024' (typed where the browser has no month picker) →
    date(2024, 3, 1); ValueError with a French message otherwise (ASCII digits only, years MIN_YEAR to MAX_YEAR:
    « 0001-01 » or « ٢٠٢٤-٠٣ » are refused, not computed with)."""
    if not isinstance(text, str):
        text = None
    match = re.fullmatch(r"\s*(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})\s*", text or "", re.ASCII) or re.fullmatch(
        r"\s*(?P<month>[0-9]{1,2})/(?P<year>[0-9]{4})\s*", text or "", re.ASCII
    )
    if not match or not 1 <= int(match.group("month")) <= 12:
        raise ValueError(f"Mois invalide « {text} » : attendu mm/aaaa (03/2024) ou AAAA-MM (2024-03).")
    year = int(match.group("year"))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"Mois invalide « {text} » : l'année doit être comprise entre {MIN_YEAR} et {MAX_YEAR}.")
    return datetime.date(year, int(match.group("month")), 1)


def month_label(month: datetime.date) -> str:
    """« mars 2024 »."""
    return f"{MONTHS_FR[month.month - 1]} {month.year}"


def month_short(month: datetime.date) -> str:
    """« mars 24 », « janv. 25 »."""
    return f"{MONTHS_SHORT[month.month - 1]} {month:%y}"
