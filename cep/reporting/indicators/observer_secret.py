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

from cep.common.dates import add_months
from cep.common.months import months_between

from . import suppression
from .frameworks import FRAMEWORKS
from .models import MonthlyCount, MonthlyDuration, MonthlyStock
from .raw import Raw
from .tables import people_tables

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
    flows: dict = defaultdict(dict)  # scope → month → [p2, p3, entries 2, entries 3, moves, exits 2, exits 3]
    before = add_months(start, -1)  # the stock at the end of the month before the year: the flows start there
    for region, network, month, *figures in (
        MonthlyStock.objects.filter(month__gte=before, month__lte=end)
        .values_list(*cross, "month")
        .annotate(
            Sum("in_progress_phase2"), Sum("in_progress_phase3"), Sum("entries_phase2"), Sum("entries_phase3"),
            Sum("moves_phase3"), Sum("exits_phase2"), Sum("exits_phase3"),
        )
        .order_by()
    ):  # fmt: skip
        for t in targets(region, network):
            old = flows[t].get(month, [0] * 7)
            flows[t][month] = [a + b for a, b in zip(old, figures, strict=True)]
            if month >= start:
                raws[t].stock[month] = tuple(flows[t][month][:2])
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
    for t in flows:
        raws[t].extra_flows = flows[t]  # read by _flow_lines
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
    flow_hidden, known = _flow_lines(raws, months, values, lines)
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
    hidden = flow_hidden | frozenset(c for c in values if c[0][0] == "x")
    status = suppression.protect_system(values, sorted(lines, key=repr), hidden=hidden, known=known)
    return {"status": status, "values": values, "mapping": mapping, "keys": {t[0]: t[1] for t in tables}}


def _flow_lines(raws, months, values, lines) -> tuple[frozenset, frozenset]:
    """Stocks and flows: stock of the month before + entries (± moves) = stock of the month + exits, per phase,
    so that the exits of a month (never shown) cannot be read from three shown figures. Adds, per scope, the
    hidden cells (monthly exits, the flow through each month) and the stock at the end of the month before the
    year (shown in the year before's view: taken as known). Returns (hidden cells, known cells)."""
    hidden, known = set(), set()
    before = add_months(months[0], -1)

    def cell(scope, base, levels, value, *, hide=False, know=False):
        c = (scope, (base, levels))
        if c not in values:
            values[c] = value
            if hide or know:
                hidden.add(c)
            if know:
                known.add(c)
        return c if values[c] == value else None

    def line(members, margin):
        if margin is not None and None not in members:
            if sum(values[c] for c in members) == values[margin]:  # only true relations
                lines.add((tuple(members), margin))

    for scope, raw in raws.items():
        flows = getattr(raw, "extra_flows", {})
        zero = [0] * 7
        first = flows.get(before, zero)
        prev = {lv: cell(scope, ("stock", before), lv, v, know=True)
                for lv, v in (((2,), first[0]), ((3,), first[1]), ((2, 3), first[0] + first[1]))}  # fmt: skip
        yearly = {lv: [] for lv in ((2,), (3,), (2, 3))}
        for month in months:
            p2, p3, e2, e3, mv, x2, x3 = flows.get(month, zero)
            now = {lv: cell(scope, ("stock", month), lv, v) for lv, v in (((2,), p2), ((3,), p3), ((2, 3), p2 + p3))}
            entries = {
                lv: cell(scope, ("people", month), lv, v) for lv, v in (((2,), e2), ((3,), e3), ((2, 3), e2 + e3))
            }
            moves = cell(scope, ("moves", month), (3,), mv)
            exits = {lv: cell(scope, ("exits_month", month), lv, v, hide=True)
                     for lv, v in (((2,), x2), ((3,), x3), ((2, 3), x2 + x3))}  # fmt: skip
            through = {lv: cell(scope, ("flow", month), lv, v, hide=True)
                       for lv, v in (((2,), p2 + mv + x2), ((3,), p3 + x3), ((2, 3), p2 + p3 + x2 + x3))}  # fmt: skip
            line([prev[(2,)], entries[(2,)]], through[(2,)])
            line([now[(2,)], moves, exits[(2,)]], through[(2,)])
            line([prev[(3,)], entries[(3,)], moves], through[(3,)])
            line([now[(3,)], exits[(3,)]], through[(3,)])
            line([prev[(2, 3)], entries[(2, 3)]], through[(2, 3)])
            line([now[(2, 3)], exits[(2, 3)]], through[(2, 3)])
            line([exits[(2,)], exits[(3,)]], exits[(2, 3)])
            for lv in yearly:
                yearly[lv].append(exits[lv])
            prev = now
        for lv, members in yearly.items():
            total = cell(scope, ("exits_year", "*"), lv, sum(values[c] for c in members if c), hide=True)
            line(members, total)
            shown_total = (scope, (("exits", "*"), lv))
            if shown_total in values and total and values[shown_total] == values[total]:
                lines.add(((total,), shown_total))
    return frozenset(hidden), frozenset(known)
