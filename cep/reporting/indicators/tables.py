"""The tables of a framework, built from the raw data of each scope (one grid per scope): monthly series,
category tables, durations and offers, ready to show, chart or download."""

from dataclasses import dataclass, field

from cep.common.months import month_label

from . import suppression
from .durations import DURATION_PHASES, percentile
from .frameworks import CATEGORY_TABLES, Framework, rows_for
from .models import Family


@dataclass
class Table:
    key: str
    title: str
    row_header: str
    rows: list[str]
    columns: list[str]
    grids: list[list[list[int]]]  # one per scope (rows × columns)
    scope_labels: list[str]
    row_totals: bool = True
    col_totals: bool = True
    people: bool = True  # counts of people or of their services: suppressed for observers
    chart: str = "bars"  # bars (categories), series (months), none
    unit: str = "personnes"
    note: str = ""
    extra: dict = field(default_factory=dict)
    protected: suppression.Protected | None = None

    @property
    def columns_shown(self) -> list[str]:
        return self.columns + (["Total"] if self.row_totals else [])

    @property
    def rows_shown(self) -> list[str]:
        return self.rows + (["Total"] if self.col_totals else [])

    def cell(self, layer: int, i: int, j: int) -> tuple[str, str, int | None]:
        """(text, status, value or None when hidden) of an extended cell."""
        if self.protected is None:
            self.protected = suppression.Protected(
                values=[suppression._extend(g, self.row_totals, self.col_totals) for g in self.grids],
                status=[
                    [[suppression.OK] * len(r) for r in suppression._extend(g, self.row_totals, self.col_totals)]
                    for g in self.grids
                ],
            )
        p = self.protected
        if isinstance(p.values[layer][i][j], str):  # precomputed text (durations)
            return p.values[layer][i][j], p.status[layer][i][j], None
        status = p.status[layer][i][j]
        value = p.values[layer][i][j]
        return p.text(layer, i, j), status, (value if status == suppression.OK else None)

    def combined(self):
        """For templates: [(row label, [cells of every scope side by side], is the total row)]."""
        layers = self.layers()
        last = len(self.rows_shown) - 1
        return [
            (label, [cell for _, body in layers for cell in body[i][1]], self.col_totals and i == last)
            for i, label in enumerate(self.rows_shown)
        ]

    def layers(self):
        """For templates: [(scope label, [(row label, [(text, status, value)])])]."""
        out = []
        for layer, label in enumerate(self.scope_labels):
            body = []
            for i, row_label in enumerate(self.rows_shown):
                body.append((row_label, [self.cell(layer, i, j) for j in range(len(self.columns_shown))]))
            out.append((label, body))
        return out


def _category_table(raws, framework, family, key, title, header, cep_only, start, end) -> Table:
    levels = framework.cep_levels if cep_only else framework.levels
    present = {code for raw in raws for (_, code) in raw.period_totals().get(family, {})}
    rows = rows_for(family, present, start, end)
    grids = []
    for raw in raws:
        totals = raw.period_totals().get(family, {})
        grids.append([[sum(totals.get((lv, code), 0) for lv in level.levels) for level in levels] for code, _ in rows])
    unit = "services" if family == Family.SERVICES else ("sorties" if family == Family.EXITS else "personnes")
    return Table(
        key=key,
        title=title,
        row_header=header,
        rows=[label for _, label in rows],
        columns=[level.label for level in levels],
        grids=grids,
        scope_labels=[],
        row_totals=len(levels) > 1,
        unit=unit,
        extra={"family": family, "codes": [code for code, _ in rows], "cep_only": cep_only},
    )


def _entries_series(raws, framework, months) -> Table:
    grids = []
    for raw in raws:
        grid = []
        for month in months:
            grid.append(
                [
                    sum(raw.counts.get((month, Family.ENTRIES, lv, "total"), 0) for lv in level.levels)
                    for level in framework.levels
                ]
            )
        grids.append(grid)
    return Table(
        key="entrees",
        title="Entrées par niveau et par mois",
        row_header="Mois",
        rows=[month_label(m) for m in months],
        columns=[level.label for level in framework.levels],
        grids=grids,
        scope_labels=[],
        chart="series",
        note="Niveau 1 : personnes ayant reçu un service CEP de niveau 1 dans le mois (une fois par structure et "
        "par mois). Niveaux suivants : CEP entrés dans le mois, selon la phase d'entrée.",
    )


def _moves_series(raws, months) -> Table:
    grids = [[[raw.counts.get((m, Family.PHASE3_MOVES, 3, "total"), 0)] for m in months] for raw in raws]
    return Table(
        key="passages",
        title="Passages de la phase 2 à la phase 3",
        row_header="Mois",
        rows=[month_label(m) for m in months],
        columns=["Passages en phase 3"],
        grids=grids,
        scope_labels=[],
        row_totals=False,
        chart="series",
        unit="CEP",
        note="Le passage en phase 3 n'est ni une sortie ni une nouvelle entrée.",
    )


def _stock_series(raws, framework, months) -> Table:
    split = framework.code == "2014"
    grids = []
    for raw in raws:
        grid = []
        for m in months:
            p2, p3 = raw.stock.get(m, (0, 0))
            grid.append([p2, p3] if split else [p2 + p3])
        grids.append(grid)
    columns = [lv.label for lv in framework.cep_levels]
    return Table(
        key="en_cours",
        title="CEP en cours en fin de mois",
        row_header="Mois",
        rows=[month_label(m) for m in months],
        columns=columns,
        grids=grids,
        scope_labels=[],
        row_totals=split,
        col_totals=False,
        chart="series",
        unit="CEP",
        note="Un stock ne s'additionne pas d'un mois à l'autre : pas de total sur la période.",
    )


def _offers_series(raws, months) -> Table:
    grids = [[list(raw.offers.get(m, (0, 0))) for m in months] for raw in raws]
    return Table(
        key="offres",
        title="Évolution de l'offre de services CEP",
        row_header="Mois",
        rows=[month_label(m) for m in months],
        columns=["Offres CEP actives", "Offres ouvertes dans le mois"],
        grids=grids,
        scope_labels=[],
        row_totals=False,
        col_totals=False,
        people=False,
        chart="series",
        unit="offres",
        note="Offres de services rattachées à la mesure nationale CEP, actives au moins un jour du mois.",
    )


def _durations(raws, framework) -> Table:
    phases = DURATION_PHASES[framework.code]
    grids, hists = [], []
    for raw in raws:
        grid, hist_layer = [], []
        for phase, _ in phases:
            hist = sorted((b, n) for (ph, b), n in raw.durations.items() if ph == phase and n)
            grid.append([sum(n for _, n in hist)])
            hist_layer.append(hist)
        grids.append(grid)
        hists.append(hist_layer)
    table = Table(
        key="durees",
        title="Durée des parcours terminés (en jours)",
        row_header="Phase",
        rows=[label for _, label in phases],
        columns=["CEP terminés", "1er quartile", "Médiane", "3e quartile"],
        grids=grids,
        scope_labels=[],
        row_totals=False,
        col_totals=False,
        chart="none",
        unit="jours",
        note="Durée = date de fin − date d'entrée, en jours, des CEP terminés sur la période. Les quartiles sont "
        "calculés sur l'histogramme des durées : exacts jusqu'à 91 jours, à la semaine près jusqu'à un an, "
        "à 30 jours près au-delà.",
    )
    table.extra["hists"] = hists
    table.extra["phases"] = [phase for phase, _ in phases]
    return table


def finish_durations(table: Table, protected: suppression.Protected | None) -> None:
    """Counts (column 0) go through suppression (`protected`: their statuses); quartiles are hidden with them."""
    counts = [[row[:1] for row in grid] for grid in table.grids]
    values, status = [], []
    for layer, grid in enumerate(counts):
        vrows, srows = [], []
        for i, row in enumerate(grid):
            st = protected.status[layer][i][0] if protected else suppression.OK
            hist = table.extra["hists"][layer][i]
            text_count = suppression.TEXT.get(st) or str(row[0])
            cells, stats = [text_count], [st]
            for p in (0.25, 0.5, 0.75):
                if st != suppression.OK or not row[0]:
                    cells.append("s" if st != suppression.OK else "–")
                    stats.append(st)
                else:
                    cells.append(f"{percentile(hist, p):.0f}".replace(".", ","))
                    stats.append(suppression.OK)
            vrows.append(cells)
            srows.append(stats)
        values.append(vrows)
        status.append(srows)
    table.protected = suppression.Protected(values=values, status=status)


def people_tables(raws, framework: Framework, months, start, end) -> list[Table]:
    """Every table of a framework from the raw data of each scope (one grid per scope)."""
    tables = [_entries_series(raws, framework, months)]
    if framework.code == "2014":
        tables.append(_moves_series(raws, months))
    tables.append(_stock_series(raws, framework, months))
    for family, key, title, header, cep_only in CATEGORY_TABLES:
        tables.append(_category_table(raws, framework, family, key, title, header, cep_only, start, end))
    tables.append(_durations(raws, framework))
    tables.append(_offers_series(raws, months))
    return tables
