import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Calendar month arithmetic, clamping to the month's last day (31 Aug + 6 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


def fr(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""
