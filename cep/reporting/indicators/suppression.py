"""Small-cell suppression (secret statistique) for every table shown or downloaded to an observer.

A table is one or two layers of counts (m rows × n columns); with two layers the first is a region and the
second the nation, and the nation is the region plus the rest of France (a hidden third layer, never shown).
Row totals and column totals are part of the table. The published cells are linked by *lines*: each row
sums to its row total, each column to its column total, and region + rest = nation at every position.

Rules (SMALL = 3):
1. Primary: a shown cell (inner or total) counting 1 or 2 people is replaced by « < 3 ». Zero stays shown.
2. Secondary: the reader may solve any line with a single unknown cell, repeat with what they learnt
   (closure), and read the sum of the unknown cells of a line whose total is known. The table is safe when
   (a) no suppressed cell and no hidden cell worth 1 or 2 can be solved that way, and (b) no line with a
   known total leaves unknown cells summing to 1 or 2. While a line breaks (a) or (b), the smallest
   positive cell still shown on that line is suppressed too (« s », secret secondaire), inner cells before
   totals; zeros only when nothing else is left. Each step hides one more cell, so this ends.

The protection is exact for every row, column and region/nation pair (what the tests check); it does not
solve the general linear system of the whole table, as secondary suppression in official statistics
usually does not either.

Observers combine tables and views, so one table at a time is not enough: `protect_system` protects every
figure an observer may read in one pass (all tables of both frameworks, the nation, every région and every
network, for one calendar year). A cell is a *quantity* (scope, what is counted): the same quantity shown in
two tables is one cell, so it is hidden everywhere or nowhere. Lines are any "members sum to margin"
relations: rows and columns of each table, 2014 levels summing to the 2019 level, régions summing to the
nation, networks summing to the nation. Every cell of such a system is published somewhere (no hidden
layer), so the reader's closure only ever solves a line with exactly one unknown cell: the system is safe
when no line has exactly one unknown cell and no line with a known margin leaves unknown members summing to
1 or 2. Both conditions are local to a line, so a work list re-checks only the lines of each newly hidden
cell (fast enough for thousands of cells).
"""

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

SMALL = 3

OK, PRIMARY, SECONDARY = "ok", "small", "secret"
TEXT = {PRIMARY: "< 3", SECONDARY: "s"}


@dataclass
class Protected:
    """Extended layers: inner cells plus the total row / column when present, with each cell's status."""

    values: list[list[list[int]]]  # layer × row × column (totals included)
    status: list[list[list[str]]]

    def text(self, layer: int, i: int, j: int) -> str:
        status = self.status[layer][i][j]
        return TEXT.get(status) or str(self.values[layer][i][j])


def _extend(matrix: list[list[int]], row_totals: bool, col_totals: bool) -> list[list[int]]:
    rows = [list(r) + ([sum(r)] if row_totals else []) for r in matrix]
    if col_totals:
        width = len(rows[0]) if rows else (1 if row_totals else 0)
        rows.append([sum(r[j] for r in rows) for j in range(width)])
    return rows


def _lines(layers: int, m: int, n: int, row_totals: bool, col_totals: bool, linked: bool):
    """(members, margin) for every line; a cell is (layer, i, j) on the extended grids."""
    lines = []
    all_layers = layers + (1 if linked else 0)
    rows = m + (1 if col_totals else 0)
    cols = n + (1 if row_totals else 0)
    for layer in range(all_layers):
        if row_totals:
            for i in range(rows):
                lines.append(([(layer, i, j) for j in range(n)], (layer, i, n)))
        if col_totals:
            for j in range(cols):
                lines.append(([(layer, i, j) for i in range(m)], (layer, m, j)))
    if linked:
        rest = layers
        for i in range(rows):
            for j in range(cols):
                lines.append(([(0, i, j), (rest, i, j)], (1, i, j)))
    return lines


def protect(layers: list[list[list[int]]], *, row_totals: bool, col_totals: bool, linked: bool = False) -> Protected:
    """Apply primary and secondary suppression. `linked`: two layers, the second containing the first."""
    if linked and len(layers) != 2:
        raise ValueError("Une comparaison région / nation a exactement deux tableaux.")
    m = len(layers[0])
    n = len(layers[0][0]) if m else 0
    grids = [_extend(layer, row_totals, col_totals) for layer in layers]
    values: dict[tuple[int, int, int], int] = {}
    for li, grid in enumerate(grids):
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                values[(li, i, j)] = v
    if linked:
        for (li, i, j), v in list(values.items()):
            if li == 1:
                rest = v - values[(0, i, j)]
                if rest < 0:
                    raise ValueError("La région ne peut pas dépasser la nation.")
                values[(2, i, j)] = rest
    lines = _lines(len(layers), m, n, row_totals, col_totals, linked)
    shown = {c for c in values if c[0] < len(layers)}
    status = {c: OK for c in shown}
    for c in shown:
        if 0 < values[c] < SMALL:
            status[c] = PRIMARY
    while True:
        cell = _next_secondary(lines, values, status)
        if cell is None:
            break
        status[cell] = SECONDARY
    out = [
        [[status[(li, i, j)] for j in range(len(grid[i]))] for i in range(len(grid))] for li, grid in enumerate(grids)
    ]
    return Protected(values=grids, status=out)


def _known(lines, status) -> tuple[set, dict]:
    """What a reader can solve: the shown cells, then any line's last unknown cell, repeatedly.

    Returns the known cells and, for each solved one, the line that solved it."""
    known = {c for c, s in status.items() if s == OK}
    solved_by: dict = {}
    changed = True
    while changed:
        changed = False
        for line in lines:
            members, margin = line
            unknown = [c for c in (*members, margin) if c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                solved_by[unknown[0]] = line
                changed = True
    return known, solved_by


def _is_secret(cell, values, status) -> bool:
    return status.get(cell) in (PRIMARY, SECONDARY) or (cell not in status and 0 < values[cell] < SMALL)


def _next_secondary(lines, values, status):
    """The next cell to hide, or None when the table is safe."""
    known, solved_by = _known(lines, status)
    for cell, line in solved_by.items():
        if _is_secret(cell, values, status):
            return _pick(line, solved_by, values, status, exclude=cell) or _fallback(values, status)
    for line in lines:
        members, margin = line
        if margin in known:
            unknown = [c for c in members if c not in known]
            if len(unknown) >= 2 and 0 < sum(values[c] for c in unknown) < SMALL:
                return _pick(line, solved_by, values, status, exclude=None) or _fallback(values, status)
    return None


def _fallback(values, status, rank=None):
    """Fail safe: with no candidate on the lines concerned, hide the smallest cell still shown anywhere."""
    shown = [c for c, s in status.items() if s == OK]
    order = (lambda c: rank[c]) if rank is not None else (lambda c: c)
    return min(shown, key=lambda c: (values[c] == 0, values[c], order(c))) if shown else None


def _pick(line, solved_by, values, status, exclude):
    """The smallest positive shown cell of the line (inner cells first), else of the lines that solved it."""
    todo, seen = [line], set()
    while todo:
        members, margin = todo.pop(0)
        for group in (members, [margin]):
            shown = [c for c in group if status.get(c) == OK and c != exclude]
            positive = [c for c in shown if values[c] > 0]
            if positive or shown:
                return min(positive or shown, key=lambda c: (values[c], c))
        for c in (*members, margin):
            if c in solved_by and c not in seen:
                seen.add(c)
                todo.append(solved_by[c])
    return None


def protect_system(
    values: dict[Hashable, int],
    lines: list[tuple[tuple, Hashable]],
    *,
    hidden: frozenset = frozenset(),
    known: frozenset = frozenset(),
    presuppressed: dict | None = None,
) -> dict[Hashable, str]:
    """Primary and secondary suppression over cells linked by lines (members, margin).

    `values` gives every cell (insertion order breaks ties: put detailed cells before aggregates); `hidden`
    cells are never published (a région × network crossing) but the reader may solve them; `known` hidden
    cells are taken as known to the reader (shown elsewhere, e.g. in another year's view: never hidden here,
    never a breach); `presuppressed` cells start hidden with their status. Returns the status (OK, PRIMARY,
    SECONDARY) of each published cell.

    The reader knows the shown cells, and solves any line with a single unknown cell, repeatedly. A solved
    hidden cell worth 0 or 3 and more is fine (it becomes known, until a cell it was solved with is hidden);
    a solved published cell, a solved hidden cell worth 1 or 2, or a line with a known margin whose unknown
    members sum to 1 or 2 is a breach: one more cell of the line (or of the lines that solved its cells) is
    hidden, and the lines of that cell are checked again.
    """
    rank = {c: n for n, c in enumerate(values)}
    status = {c: (PRIMARY if 0 < v < SMALL else OK) for c, v in values.items() if c not in hidden}
    for c, st in (presuppressed or {}).items():
        if st != OK:
            status[c] = st
    given = known
    known = {c for c, st in status.items() if st == OK} | set(given)
    solved_by: dict = {}
    dependents: dict = {}  # known cell → crossings solved with it
    lines = [(tuple(members), margin) for members, margin in lines]
    by_cell: dict[Hashable, list[int]] = {}
    for n, (members, margin) in enumerate(lines):
        for c in (*members, margin):
            by_cell.setdefault(c, []).append(n)
    todo, queued = deque(range(len(lines))), set(range(len(lines)))

    def push(cell):
        for m in by_cell.get(cell, ()):
            if m not in queued:
                queued.add(m)
                todo.append(m)

    while todo:
        n = todo.popleft()
        queued.discard(n)
        members, margin = lines[n]
        unknown = [c for c in (*members, margin) if c not in known]
        if len(unknown) == 1:
            cell = unknown[0]
            if cell in hidden and not 0 < values[cell] < SMALL:
                known.add(cell)  # the reader learns a crossing that reveals nothing by itself
                solved_by[cell] = lines[n]
                for c in (*members, margin):
                    if c != cell:
                        dependents.setdefault(c, set()).add(cell)
                push(cell)
                continue
            positive_only = False
        elif margin in known and len(unknown) >= 2 and 0 < sum(values[c] for c in unknown) < SMALL:
            positive_only = True
        else:
            continue
        cell = _to_hide(lines[n], values, status, rank, solved_by, positive_only) or _fallback(values, status, rank)
        if cell is None:
            continue
        status[cell] = SECONDARY
        # The cell and every crossing solved through it are unknown again (their lines are checked again, so
        # a crossing that can still be solved another way is learnt again).
        lost = [cell]
        while lost:
            c = lost.pop()
            known.discard(c)
            push(c)
            for d in dependents.pop(c, ()):
                if d in solved_by:
                    del solved_by[d]
                    lost.append(d)
        queued.add(n)
        todo.append(n)
    return status


def _to_hide(line, values, status, rank, solved_by, positive_only):
    """The next cell to hide for a breached line: the smallest positive shown member, then the margin, then a
    zero; when the line has no shown cell, the same in the lines that solved its known hidden cells."""
    todo, seen = [line], set()
    while todo:
        members, margin = todo.pop(0)
        shown_members = [c for c in members if status.get(c) == OK]
        margin_shown = [margin] if status.get(margin) == OK else []
        groups = [[c for c in shown_members if values[c] > 0], margin_shown]
        if not positive_only:
            groups.append(shown_members)
        for group in groups:
            positive = [c for c in group if values[c] > 0]
            if positive or (group and not positive_only):
                return min(positive or group, key=lambda c: (values[c], rank[c]))
        for c in (*members, margin):
            if c in solved_by and c not in seen:
                seen.add(c)
                todo.append(solved_by[c])
    return None
