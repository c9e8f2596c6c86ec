"""One small-cell protection for every figure observers may read in a calendar year (suppression.protect_system).

Observers read the year in two frameworks, for the nation, one région or one network (never both at once:
their intersection is not published). Protecting each table of each view on its own would let them undo
the secret by combining views (région X vs nation vs région Y, 2019 level = 2014 levels, the same total in
two tables). So the year is protected once, as one system:

- cells are quantities per scope: ("people", month) at levels (2,) is the same cell in the 2014 monthly
  table, in the 2019 one (as part of (2, 3)) and as the column total of every public table;
- lines are the rows and columns of every table, the 2014 levels 2 + 3 = the 2019 level, the régions
  summing to the nation, the networks summing to the nation, and the (never shown) crossings région ×
  network summing to their région and to their network: a network present in one région only is nested in
  it, and the reader can subtract them.

Every view then shows its scopes with the statuses of this one result, so a figure hidden in one view is
hidden in all. Regional observers read a subset (their région and the nation) of what the national observer
reads, and get the same statuses.
"""

import datetime
from collections import defaultdict

from django.core.cache import cache
from django.db.models import Q, Sum

from . import suppression
from .indicator_models import MonthlyCount, MonthlyDuration, MonthlyStock

NATION_ID = ("n",)


def scope_id(scope) -> tuple:
    """The joint-system id of a view's scope: the nation, one région or one network."""
    if scope.structure_id is not None or (scope.region_id and scope.network_id):
        raise ValueError("Les observateurs ne lisent pas ce croisement.")
    if scope.region_id:
        return ("r", scope.region_id)
    if scope.network_id:
        return ("w", scope.network_id)
    return NATION_ID


def _fetch_split(start: datetime.date, end: datetime.date) -> dict[tuple, object]:
    """Raw aggregates of the people tables per (région, network) crossing, summed into the nation, each région
    and each network. Crossings ("x", région, network) are never shown; only those with data exist."""
    from .indicators import Raw

    raws: dict[tuple, Raw] = defaultdict(Raw)
    period = Q(month__gte=start, month__lte=end)
    cross = ("region_id", "network_id")

    def targets(region, network):
        return (NATION_ID, ("r", region), ("w", network), ("x", region, network))

    for region, network, month, family, level, code, n in (
        MonthlyCount.objects.filter(period)
        .values_list(*cross, "month", "family", "level", "code")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        for t in targets(region, network):
            counts = raws[t].counts
            counts[(month, family, level, code)] = counts.get((month, family, level, code), 0) + n
    for region, network, month, p2, p3 in (
        MonthlyStock.objects.filter(period)
        .values_list(*cross, "month")
        .annotate(p2=Sum("in_progress_phase2"), p3=Sum("in_progress_phase3"))
        .order_by()
    ):
        for t in targets(region, network):
            a, b = raws[t].stock.get(month, (0, 0))
            raws[t].stock[month] = (a + p2, b + p3)
    for region, network, phase, bucket, n in (
        MonthlyDuration.objects.filter(period)
        .values_list(*cross, "phase", "bucket")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        for t in targets(region, network):
            durations = raws[t].durations
            durations[(phase, bucket)] = durations.get((phase, bucket), 0) + n
    order = {"n": 0, "r": 1, "w": 2, "x": 3}
    return {k: raws[k] for k in sorted(raws, key=lambda k: (order[k[0]], k))}


# ---------------------------------------------------------------- quantities behind each table cell


def _levels(table, framework) -> list[tuple[int, ...]]:
    """Stored levels of each column (the row-total column last, when there is one)."""
    if table.key == "passages":
        return [(3,)]
    if table.key == "en_cours":
        cols = [lv.levels for lv in framework.cep_levels] if framework.code == "2014" else [(2, 3)]
    elif table.key == "entrees":
        cols = [lv.levels for lv in framework.levels]
    else:
        cols = [lv.levels for lv in (framework.cep_levels if table.extra["cep_only"] else framework.levels)]
    if table.row_totals:
        cols = [*cols, tuple(sorted({x for c in cols for x in c}))]
    return cols


COLUMN_TOTAL_BASE = {"services": ("services", "*"), "sorties": ("exits", "*")}


def quantity_keys(table, framework, months) -> list[list[tuple]] | None:
    """The quantity of each cell of the extended grid (rows then total row; columns then total column)."""
    if not table.people:
        return None
    if table.key == "durees":
        phase_keys = {0: (("exits", "*"), (2, 3)), 3: (("exits", "*"), (3,)), 2: (("duration", 2), (2,))}
        return [[phase_keys[phase]] for phase in table.extra["phases"]]
    cols = _levels(table, framework)
    if table.chart == "series":
        base = {"entrees": "people", "passages": "moves", "en_cours": "stock"}[table.key]
        rows = [(base, m) for m in months]
        total_row = (base, "*")
    else:
        family = table.extra["family"]
        rows = [(family, code) for code in table.extra["codes"]]
        total_row = COLUMN_TOTAL_BASE.get(table.key, ("people", "*"))
    if table.col_totals:
        rows = [*rows, total_row]
    return [[(row, levels) for levels in cols] for row in rows]


def _share(entries: list) -> dict:
    """entries: (qkey, table tag, i, j, {scope: value}). Same qkey → one cell, unless the values differ in any
    scope (then the quantity is not really shared: each table keeps its own cell)."""
    groups: dict = defaultdict(list)
    for entry in entries:
        groups[entry[0]].append(entry)
    mapping = {}
    for members in groups.values():
        first = members[0][4]
        shared = all(m[4] == first for m in members)
        for q, tag, i, j, _ in members:
            mapping[(tag, i, j)] = q if shared else ((q[0], tag), q[1])
    return mapping


def protect_year(start: datetime.date, end: datetime.date, version: int) -> dict:
    """The year's joint protection, cached until the next refresh: {"status": {(scope id, quantity): status},
    "values": same keys → count, "mapping": (table tag, i, j) → quantity, "keys": table tag → quantity grid}."""
    key = f"ind:secret:{version}:{start:%Y%m}:{end:%Y%m}"
    result = cache.get(key)
    if result is None:
        result = _protect_year(start, end)
        cache.set(key, result, 3600)
    return result


def _protect_year(start, end) -> dict:
    from .indicators import FRAMEWORKS, months_between, people_tables

    months = months_between(start, end)
    raws = _fetch_split(start, end)
    scopes = list(raws)
    entries, tables = [], []
    for code, framework in FRAMEWORKS.items():
        for table in people_tables(list(raws.values()), framework, months, start, end):
            keys = quantity_keys(table, framework, months)
            if keys is None:
                continue
            grids = [suppression._extend(g, table.row_totals, table.col_totals) for g in table.grids]
            if table.key == "durees":
                grids = [[row[:1] for row in g] for g in table.grids]
            tag = (code, table.key)
            tables.append((tag, keys, grids, table.row_totals, table.col_totals))
            for i, row in enumerate(keys):
                for j, q in enumerate(row):
                    entries.append((q, tag, i, j, tuple(g[i][j] for g in grids)))
    mapping = _share(entries)
    values: dict = {}
    lines: set = set()
    # Detailed scopes first: secondary suppression then prefers a région or a network to the nation.
    for s, scope in reversed(list(enumerate(scopes))):
        for tag, keys, grids, row_totals, col_totals in tables:
            grid = grids[s]
            cell = {(i, j): (scope, mapping[(tag, i, j)]) for i in range(len(keys)) for j in range(len(keys[i]))}
            for (i, j), c in cell.items():
                values.setdefault(c, grid[i][j])
            m = len(keys) - (1 if col_totals else 0)
            n = len(keys[0]) - (1 if row_totals else 0) if keys else 0
            if row_totals:
                for i in range(len(keys)):
                    lines.add((tuple(cell[(i, j)] for j in range(n)), cell[(i, n)]))
            if col_totals:
                for j in range(len(keys[0])):
                    lines.add((tuple(cell[(i, j)] for i in range(m)), cell[(m, j)]))
    quantities = {q for _, q in values}
    crossings = [s for s in scopes if s[0] == "x"]
    for q in quantities:
        base, levels = q
        if levels == (2, 3) and (base, (2,)) in quantities and (base, (3,)) in quantities:
            for scope in scopes:
                lines.add((((scope, (base, (2,))), (scope, (base, (3,)))), (scope, q)))
        for kind in ("r", "w"):
            parts = tuple((s, q) for s in scopes if s[0] == kind)
            if parts:
                lines.add((parts, (NATION_ID, q)))
        # A région is the sum of its networks, a network the sum of its régions (crossings without data are
        # known zeros: left out).
        for position, kind in ((1, "r"), (2, "w")):
            for whole in {s[position] for s in crossings}:
                parts = tuple((s, q) for s in crossings if s[position] == whole)
                lines.add((parts, ((kind, whole), q)))
    hidden = frozenset(c for c in values if c[0][0] == "x")
    status = suppression.protect_system(values, sorted(lines, key=repr), hidden=hidden)
    return {"status": status, "values": values, "mapping": mapping, "keys": {t[0]: t[1] for t in tables}}
