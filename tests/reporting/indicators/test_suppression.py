"""Small-cell suppression (cep/reporting/indicators/suppression.py): nothing under 3 people can be read or
recomputed."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cep.reporting.indicators.suppression import OK, PRIMARY, SECONDARY, protect, protect_system


def _lines(m, n, row_totals, col_totals):
    """Rows and columns of one extended grid: (inner cells, total cell) as (i, j)."""
    rows = m + (1 if col_totals else 0)
    cols = n + (1 if row_totals else 0)
    lines = []
    if row_totals:
        lines += [([(i, j) for j in range(n)], (i, n)) for i in range(rows)]
    if col_totals:
        lines += [([(i, j) for i in range(m)], (m, j)) for j in range(cols)]
    return lines


def assert_safe(result, m, n, row_totals, col_totals, linked):
    """What a reader of the shown table can do, written independently of the implementation."""
    layers = len(result.values)
    for layer in range(layers):
        values, status = result.values[layer], result.status[layer]
        shown = {(i, j) for i, row in enumerate(status) for j, s in enumerate(row) if s == OK}
        # 1. No shown cell or total under 3 (zero is not a person).
        for i, j in shown:
            assert values[i][j] == 0 or values[i][j] >= 3
        for members, margin in _lines(m, n, row_totals, col_totals):
            cells = [*members, margin]
            hidden = [c for c in cells if c not in shown]
            # 2. A suppressed cell cannot be recomputed from the visible cells of its row or column.
            assert len(hidden) != 1, (layer, members, margin)
            # 3. Nor can a sum of suppressed cells under 3 (difference between a total and what is shown).
            if margin in shown and hidden:
                assert not 0 < sum(values[i][j] for i, j in hidden) < 3
    if linked:
        region, nation = result.values
        # 4. Region beside the nation: the rest of France is never shown under 3, directly or through a row or a
        # column of the two tables (solve every line repeatedly with what was learnt).
        known = {}
        for layer in (0, 1):
            for i, row in enumerate(result.status[layer]):
                for j, s in enumerate(row):
                    if s == OK:
                        known[(layer, i, j)] = result.values[layer][i][j]
        rest = {(2, i, j): nation[i][j] - region[i][j] for i in range(len(region)) for j in range(len(region[0]))}
        truth = {**{(layer, i, j): result.values[layer][i][j] for layer in (0, 1)
                    for i in range(len(region)) for j in range(len(region[0]))}, **rest}  # fmt: skip
        lines = [
            ([(layer, *c) for c in members], (layer, *margin))
            for layer in (0, 1, 2)
            for members, margin in _lines(m, n, row_totals, col_totals)
        ]
        lines += [([(0, i, j), (2, i, j)], (1, i, j)) for i in range(len(region)) for j in range(len(region[0]))]
        changed = True
        while changed:
            changed = False
            for members, margin in lines:
                unknown = [c for c in (*members, margin) if c not in known]
                if len(unknown) == 1:
                    known[unknown[0]] = truth[unknown[0]]
                    changed = True
        for cell, value in known.items():
            if cell[0] == 2:
                assert not 0 < value < 3, cell
            else:
                assert result.status[cell[0]][cell[1]][cell[2]] == OK, cell


small_counts = st.one_of(st.integers(0, 4), st.integers(0, 40))


@st.composite
def tables(draw):
    m, n = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    row_totals, col_totals = draw(st.booleans()), draw(st.booleans())
    linked = draw(st.booleans())
    region = [[draw(small_counts) for _ in range(n)] for _ in range(m)]
    if not linked:
        return [region], m, n, row_totals, col_totals, False
    rest = [[draw(small_counts) for _ in range(n)] for _ in range(m)]
    nation = [[region[i][j] + rest[i][j] for j in range(n)] for i in range(m)]
    return [region, nation], m, n, row_totals, col_totals, True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_visible_cell_total_or_difference_reveals_a_count_under_3(table):
    layers, m, n, row_totals, col_totals, linked = table
    result = protect(layers, row_totals=row_totals, col_totals=col_totals, linked=linked)
    assert_safe(result, m, n, row_totals, col_totals, linked)
    # Every primary cell is a 1 or a 2, every cell worth 1 or 2 is hidden.
    for layer, grid in enumerate(result.values):
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                status = result.status[layer][i][j]
                assert (status == PRIMARY) == (0 < value < 3)


def test_one_small_cell_takes_the_next_smallest_of_its_row_and_column():
    result = protect([[[1, 10, 20], [7, 8, 30]]], row_totals=True, col_totals=True)
    status = result.status[0]
    assert status[0][0] == PRIMARY
    assert status[0][1] == SECONDARY  # row 0: next smallest
    assert status[1][0] == SECONDARY  # column 0: next smallest
    assert status[1][1] == SECONDARY  # closes both lines
    assert status[0][2] == OK and status[1][2] == OK and status[2][3] == OK  # totals stay shown
    assert result.text(0, 0, 0) == "< 3" and result.text(0, 0, 1) == "s" and result.text(0, 2, 3) == "76"


def test_zero_is_shown_and_a_table_without_small_cells_is_untouched():
    result = protect([[[0, 5], [4, 9]]], row_totals=True, col_totals=True)
    assert all(s == OK for row in result.status[0] for s in row)
    assert result.text(0, 0, 0) == "0"


def test_region_beside_nation_hides_a_difference_under_3():
    # Region 10, nation 11 in the first row: the rest of France would be 1.
    result = protect([[[10, 5]], [[11, 40]]], row_totals=True, col_totals=False, linked=True)
    assert_safe(result, 1, 2, True, False, True)
    assert result.status[0][0][0] != OK or result.status[1][0][0] != OK


def test_secondary_suppression_never_uses_zero_to_complete_a_sum_under_3():
    result = protect([[[1, 0, 9, 12]]], row_totals=True, col_totals=False)
    assert result.status[0][0] == [PRIMARY, OK, SECONDARY, OK, OK]


# ------------------------------------------------------------------ protect_system: the observers' joint system


@st.composite
def systems(draw):
    """Régions × networks crossings (never shown), each an m × n table; the régions, the networks and the
    nation are their sums and are shown, with their row and column totals."""
    regions, networks = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    present = [(r, w) for r in range(regions) for w in range(networks) if draw(st.booleans())] or [(0, 0)]
    inner = {(("x", r, w), i, j): draw(small_counts) for r, w in present for i in range(m) for j in range(n)}
    scopes = {("n",): present}
    scopes.update({("r", r): [(r, w) for w in range(networks) if (r, w) in present] for r in range(regions)})
    scopes.update({("w", w): [(r, w) for r in range(regions) if (r, w) in present] for w in range(networks)})
    scopes = {s: parts for s, parts in scopes.items() if parts}
    scopes.update({("x", r, w): [(r, w)] for r, w in present})
    values = {}
    for s, parts in scopes.items():
        for i in range(m + 1):
            for j in range(n + 1):
                rows = range(m) if i == m else [i]
                cols = range(n) if j == n else [j]
                values[(s, i, j)] = sum(inner[(("x", *p), a, b)] for p in parts for a in rows for b in cols)
    lines = []
    for s in scopes:
        lines += [(tuple((s, i, j) for j in range(n)), (s, i, n)) for i in range(m + 1)]
        lines += [(tuple((s, i, j) for i in range(m)), (s, m, j)) for j in range(n + 1)]
    for i in range(m + 1):
        for j in range(n + 1):
            for kind in ("r", "w"):
                parts = tuple((s, i, j) for s in scopes if s[0] == kind)
                lines.append((parts, (("n",), i, j)))
            for s in scopes:
                if s[0] in "rw":
                    crossings = [("x", *p) for p in scopes[s]]
                    lines.append((tuple((c, i, j) for c in crossings), (s, i, j)))
    hidden = frozenset(c for c in values if c[0][0] == "x")
    return values, lines, hidden


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_joint_system_no_shown_cell_solved_line_or_crossing_reveals_a_count_under_3(system):
    values, lines, hidden = system
    status = protect_system(values, lines, hidden=hidden)
    assert set(status) == set(values) - hidden
    for cell, st_ in status.items():
        assert (st_ == PRIMARY) == (0 < values[cell] < 3)
    # The reader: shown cells, then any line with a single unknown cell, repeatedly.
    known = {c for c, s in status.items() if s == OK}
    changed = True
    while changed:
        changed = False
        for members, margin in lines:
            unknown = [c for c in (*members, margin) if c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    for cell in known:
        assert cell in hidden or status[cell] == OK, cell  # no suppressed figure can be recomputed
        assert not 0 < values[cell] < 3 or cell not in hidden, cell  # nor a crossing under 3
    for members, margin in lines:
        if margin in known:
            unknown = [c for c in members if c not in known]
            assert not 0 < sum(values[c] for c in unknown) < 3, (members, margin)


def test_joint_system_a_region_hidden_in_one_view_stays_hidden_in_every_other():
    # Nation = A + B; A has 2 people: B is the nation minus A, so one of them must go with A.
    values = {("A",): 2, ("B",): 40, ("N",): 42}
    status = protect_system(values, [((("A",), ("B",)), ("N",))])
    assert status[("A",)] == PRIMARY and SECONDARY in (status[("B",)], status[("N",)])
