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
"""

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


def _fallback(values, status):
    """Fail safe: with no candidate on the lines concerned, hide the smallest cell still shown anywhere."""
    shown = [c for c, s in status.items() if s == OK]
    return min(shown, key=lambda c: (values[c] == 0, values[c], c)) if shown else None


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
