"""The dashboard of an audience: its tables for a framework and a period, protected for observers, cached until
the next refresh. Observers read one calendar year at a time and get every table through small-cell
suppression, downloads included: one protection per year over all their possible views (observer_secret.py).
"""

import datetime
from dataclasses import dataclass

from django.core.cache import cache

from cep.common import dates
from cep.common.errors import RuleViolation
from cep.common.months import last_complete_month, month_short, month_start, months_between

from . import observer_secret, suppression
from .audiences import Audience
from .frameworks import FRAMEWORKS, Framework
from .models import MonthlyCount, RefreshState
from .raw import fetch
from .tables import Table, finish_durations, people_tables

MAX_MONTHS = 36


@dataclass
class Dashboard:
    framework: Framework
    start: datetime.date
    end: datetime.date
    months: list[datetime.date]
    audience: Audience
    tables: list[Table]
    version: int

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


def build(
    audience: Audience, framework_code: str, start: datetime.date, end: datetime.date, *, version: int = 0
) -> list[Table]:
    framework = FRAMEWORKS[framework_code]
    months = months_between(start, end)
    raws = [fetch(scope, months[0], months[-1]) for scope in audience.scopes]
    tables = people_tables(raws, framework, months, start, end)
    secret = observer_secret.protect_year(start, end, version) if audience.suppress else None
    for table in tables:
        table.scope_labels = [scope.label for scope in audience.scopes]
        if table.chart == "series":
            table.extra["short_rows"] = [month_short(m) for m in months]
        protected = _observer_protected(table, framework, months, audience, secret) if secret else None
        if table.key == "durees":
            finish_durations(table, protected)
        elif protected is not None:
            table.protected = protected
    return tables


def _observer_protected(table, framework, months, audience, secret) -> suppression.Protected | None:
    """The table's cells with the statuses of the year's joint protection (observer_secret)."""
    keys = observer_secret.quantity_keys(table, framework, months)
    if keys is None:
        return None
    tag = (framework.code, table.key)
    grids = [suppression._extend(g, table.row_totals, table.col_totals) for g in table.grids]
    if table.key == "durees":
        grids = [[row[:1] for row in g] for g in table.grids]
    same_rows = secret["keys"].get(tag) == keys
    statuses = []
    for scope, grid in zip(audience.scopes, grids, strict=True):
        sid = observer_secret.scope_id(scope)
        layer = []
        for i, row in enumerate(grid):
            srow = []
            for j, value in enumerate(row):
                cell = (sid, secret["mapping"].get((tag, i, j)))
                known = secret["values"].get(cell)
                # Fail safe: a figure the joint protection did not see (data refreshed in between) is hidden.
                if same_rows and known == value:
                    srow.append(secret["status"][cell])
                else:
                    empty = same_rows and known is None and value == 0  # a scope without data at all
                    srow.append(suppression.OK if empty else suppression.SECONDARY)
            layer.append(srow)
        statuses.append(layer)
    return suppression.Protected(values=grids, status=statuses)


def refresh_state() -> RefreshState:
    """The refresh state (one row), read on every dashboard view (one query; one more to mark « Échec » a refresh
    whose lease expired)."""
    from .refresh import expire_if_stale

    return expire_if_stale(RefreshState.objects.filter(pk=1).first() or RefreshState(pk=1))


def cache_key(audience: Audience, framework_code: str, start, end, state: RefreshState) -> str:
    """Everything a dashboard depends on; the refresh version makes every refresh invalidate it."""
    keys = "|".join(s.key for s in audience.scopes)
    return f"ind:{state.version}:{keys}:{int(audience.suppress)}:{framework_code}:{start:%Y%m}:{end:%Y%m}"


def dashboard(
    audience: Audience, framework_code: str, start: datetime.date, end: datetime.date, *, state=None
) -> Dashboard:
    """The dashboard of an audience, cached until the next refresh (the cache key holds the version)."""
    if framework_code not in FRAMEWORKS:
        raise RuleViolation("INDICATEURS", "Référentiel inconnu : choisissez 2019 ou 2014.", field="framework")
    if end < start:
        raise RuleViolation("INDICATEURS", "Le mois de fin précède le mois de début.", field="end")
    if len(months_between(start, end)) > MAX_MONTHS:
        raise RuleViolation("INDICATEURS", f"La période est limitée à {MAX_MONTHS} mois.", field="start")
    if audience.suppress and (start, end) != observer_period(start.year):
        raise RuleViolation("INDICATEURS", "Les observateurs lisent une année civile à la fois.", field="annee")
    state = state or refresh_state()
    key = cache_key(audience, framework_code, start, end, state)
    tables = cache.get(key)
    if tables is None:
        tables = build(audience, framework_code, start, end, version=state.version)
        cache.set(key, tables, 3600)
    return Dashboard(
        framework=FRAMEWORKS[framework_code],
        start=start,
        end=end,
        months=months_between(start, end),
        audience=audience,
        tables=tables,
        version=state.version,
    )


def default_period(state: RefreshState | None = None) -> tuple[datetime.date, datetime.date]:
    """The last twelve months up to the current one."""
    end = month_start(dates.today())  # read when called (tests set the day)
    return dates.add_months(end, -11), end


# ---------------------------------------------------------------- observers' periods: one calendar year


def observer_period(year: int) -> tuple[datetime.date, datetime.date]:
    """January to December; the current year up to its last complete month (year to date)."""
    end = min(datetime.date(year, 12, 1), last_complete_month())
    return datetime.date(year, 1, 1), end


def observer_years() -> list[int]:
    """The calendar years with data and at least one complete month, newest first (cached 5 minutes)."""
    years = cache.get("ind:observer_years")
    if years is None:
        last = last_complete_month().year
        years = sorted({d.year for d in MonthlyCount.objects.dates("month", "year") if d.year <= last}, reverse=True)
        cache.set("ind:observer_years", years, 300)
    return years
