"""Charts draw cells hidden by the statistical secret as hatched « s » bars explained by a legend, never as
missing bars that read as zero."""

from web.reporting.dashboard_charts import SECRET_LEGEND, bars_chart, series_chart


class StubTable:
    """What the charts read of a dashboard table: cells are (text, status, value or None when hidden)."""

    key, title, extra = "t", "Entrées par mois", {}
    row_totals, col_totals = False, False

    def __init__(self, rows, columns, cells, scope_labels=("France entière",)):
        self.rows, self.columns, self._cells, self.scope_labels = rows, columns, cells, list(scope_labels)

    def cell(self, layer, i, j):
        return self._cells[layer][i][j]


def test_series_chart_draws_a_secret_cell_as_a_hatched_s_bar_with_a_legend():
    cells = [[[("12", "ok", 12), ("s", "secret", None)], [("< 3", "small", None), ("7", "ok", 7)]]]
    svg = series_chart(StubTable(["janv.", "févr."], ["Phase 2", "Phase 3"], cells), 0)
    assert svg.count('class="cep-chart__secret"') == 2 and "url(#graph-t-0-secret)" in svg
    assert '<pattern id="graph-t-0-secret"' in svg and SECRET_LEGEND in svg
    assert ">s</text>" in svg and ">&lt; 3</text>" in svg


def test_series_chart_without_secret_has_no_hatching_nor_legend():
    cells = [[[("12", "ok", 12), ("0", "ok", 0)]]]
    svg = series_chart(StubTable(["janv."], ["Phase 2", "Phase 3"], cells), 0)
    assert "cep-chart__secret" not in svg and SECRET_LEGEND not in svg


def test_bars_chart_draws_a_secret_cell_as_a_hatched_s_bar_with_a_legend():
    cells = [[[("40", "ok", 40)], [("s", "secret", None)]]]
    svg = bars_chart(StubTable(["Femme", "Homme"], ["Effectif"], cells))
    assert svg.count('class="cep-chart__secret"') == 1 and ">s</text>" in svg and SECRET_LEGEND in svg
    assert "secret statistique</text>" not in svg.replace(SECRET_LEGEND, "")  # no lonely text in place of a bar
