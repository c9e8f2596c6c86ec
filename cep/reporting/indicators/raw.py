"""The aggregate rows of one scope and period, summed as the tables read them (four queries)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, Sum

from .audiences import Scope
from .models import MonthlyCount, MonthlyDuration, MonthlyOffers, MonthlyStock


@dataclass
class Raw:
    counts: dict = field(default_factory=dict)  # (month, family, level, code) → n
    stock: dict = field(default_factory=dict)  # month → (phase2, phase3)
    durations: dict = field(default_factory=dict)  # (phase, bucket) → n
    offers: dict = field(default_factory=dict)  # month → (active, new)
    _totals: dict | None = field(default=None, repr=False)

    def period_totals(self) -> dict[str, dict[tuple[int, str], int]]:
        """family → {(level, code): n} over the period (computed once: every category table reads it)."""
        if self._totals is None:
            totals: dict = {}
            for (_, family, level, code), n in self.counts.items():
                by_family = totals.setdefault(family, {})
                by_family[(level, code)] = by_family.get((level, code), 0) + n
            self._totals = totals
        return self._totals


def fetch(scope: Scope, start: datetime.date, end: datetime.date) -> Raw:
    """Four aggregate queries on the monthly tables for one scope and period."""
    raw = Raw()
    period = Q(month__gte=start, month__lte=end)
    for row in (
        MonthlyCount.objects.filter(period & scope.q())
        .values_list("month", "family", "level", "code")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        raw.counts[row[:4]] = row[4]
    for month, p2, p3 in (
        MonthlyStock.objects.filter(period & scope.q())
        .values_list("month")
        .annotate(p2=Sum("in_progress_phase2"), p3=Sum("in_progress_phase3"))
        .order_by()
    ):
        raw.stock[month] = (p2, p3)
    for phase, bucket, n in (
        MonthlyDuration.objects.filter(period & scope.q())
        .values_list("phase", "bucket")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        raw.durations[(phase, bucket)] = n
    for month, active, new in (
        MonthlyOffers.objects.filter(period & scope.q())
        .values_list("month")
        .annotate(a=Sum("active"), n=Sum("new"))
        .order_by()
    ):
        raw.offers[month] = (active, new)
    return raw
