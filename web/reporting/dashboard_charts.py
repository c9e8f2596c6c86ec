"""Server-rendered SVG charts of the dashboard tables: no JavaScript, nothing from a CDN, CSP-friendly.

Every chart is an image (role="img") whose title names it; the data table right after it is the accessible
alternative and holds the exact figures. A cell hidden by the statistical secret draws a hatched bar of fixed size
marked « s » (or « < 3 »), explained by the legend: never a missing bar that would read as zero.
"""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe

from cep.reporting.indicators.tables import Table

PALETTE = ["#000091", "#6a6af4", "#c3992a", "#009081"]
SCOPE_COLORS = ["#000091", "#ce614a"]  # region, nation
WIDTH = 720


def _short(text: str, limit: int = 46) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scale(value: float) -> tuple[float, int]:
    """A round top of axis and its number of intervals: steps of 1, 2 or 5 × 10^k, three to five of them."""
    if value <= 0:
        return 1, 1
    rough = value / 4
    magnitude = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    ticks = max(1, math.ceil(value / step))
    return step * ticks, ticks


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


SECRET_LEGEND = "s : secret statistique (taille fixe)"
SECRET_BAR = 24  # px: the fixed size of a hatched bar, whatever the hidden value


def _hatch_id(chart_id: str) -> str:
    return f"{chart_id}-secret"


def _hatch_def(chart_id: str) -> str:
    """The hatching of hidden cells (one pattern per chart: ids stay unique on a page of several charts)."""
    return (
        f'<defs><pattern id="{_hatch_id(chart_id)}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#666666" stroke-width="2.5"/></pattern></defs>'
    )


def _hatched(chart_id: str, x: float, y: float, width: float, height: float, text: str, text_x: float, text_y: float):
    """A hidden cell: a hatched bar with its mark (« s », « < 3 ») beside it."""
    return [
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="url(#{_hatch_id(chart_id)})" '
        'stroke="#666666" stroke-width="0.5" class="cep-chart__secret"/>',
        f'<text x="{text_x:.1f}" y="{text_y:.1f}" text-anchor="middle" class="cep-chart__value">{escape(text)}</text>',
    ]


def _legend(items: list[tuple[str, str]], y: int) -> tuple[list[str], int]:
    parts, x = [], 0
    for label, color in items:
        label = _short(label, 60)
        width = 18 + 7 * len(label)
        if x + width > WIDTH:
            x, y = 0, y + 18
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="{y + 10}" class="cep-chart__legend">{escape(label)}</text>')
        x += width + 16
    return parts, y + 24


def _svg(chart_id: str, title: str, height: int, body: list[str]) -> str:
    return (
        f'<svg class="cep-chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">Valeurs exactes dans le tableau de données qui suit.</desc>'
        + "".join(body)
        + "</svg>"
    )


def series_chart(table: Table, layer: int) -> str:
    """Grouped vertical bars: one group per month, one bar per column (levels, phases…)."""
    columns = table.columns
    colors = PALETTE[: len(columns)]
    chart_id = f"graph-{table.key}-{layer}"
    cells = [[table.cell(layer, i, j) for j in range(len(columns))] for i in range(len(table.rows))]
    values = [[cell[2] for cell in row] for row in cells]
    hidden = any(cell[1] != "ok" for row in cells for cell in row)
    items = list(zip(columns, colors, strict=False))
    if hidden:
        items.append((SECRET_LEGEND, f"url(#{_hatch_id(chart_id)})"))
    legend, top = _legend(items, 0)
    peak, ticks = _scale(max([v for row in values for v in row if v is not None] or [0]))
    left, bottom, plot_h = 56, 34, 180
    height = top + plot_h + bottom
    plot_w = WIDTH - left - 8
    group_w = plot_w / max(1, len(values))
    bar_w = max(1.5, min(18.0, (group_w - 4) / max(1, len(columns))))
    body = ([_hatch_def(chart_id)] if hidden else []) + legend
    for k in range(ticks + 1):  # horizontal grid and its labels
        v = peak * k / ticks
        y = top + plot_h - plot_h * k / ticks
        body.append(f'<line x1="{left}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" class="cep-chart__grid"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="cep-chart__axis">{_fmt(v)}</text>')
    step = max(1, len(values) // 12)
    for i, row in enumerate(values):
        x0 = left + i * group_w + (group_w - bar_w * len(columns)) / 2
        for j, v in enumerate(row):
            text, status, _ = cells[i][j]
            if v is None and status != "ok":  # hidden by the statistical secret: hatched, marked, fixed size
                x = x0 + j * bar_w
                y = top + plot_h - SECRET_BAR
                body += _hatched(chart_id, x, y, bar_w - 1, SECRET_BAR, text, x + bar_w / 2, y - 3)
                continue
            if v is None or v <= 0:
                continue
            h = plot_h * v / peak
            body.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{h:.1f}" fill="{colors[j]}"/>'
            )
        if i % step == 0:
            short = table.extra["short_rows"][i] if "short_rows" in table.extra else table.rows[i]
            body.append(
                f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'class="cep-chart__axis">{escape(short)}</text>'
            )
    return _svg(chart_id, f"{table.title} — {table.scope_labels[layer]}", height, body)


def bars_chart(table: Table) -> str:
    """Horizontal bars per category: counts for one scope, shares (%) for a region beside the nation."""
    total_col = len(table.columns) if table.row_totals else 0
    layers = len(table.scope_labels)
    label_w, bar_h, gap = 300, 14, 10
    chart_id = f"graph-{table.key}"
    rows, marks = [], []
    for i, label in enumerate(table.rows):
        cells = [table.cell(k, i, total_col) for k in range(layers)]
        rows.append((label, [cell[2] for cell in cells]))
        marks.append([cell[0] if cell[1] != "ok" else None for cell in cells])
    hidden = any(mark for row in marks for mark in row)
    legend_items = [(label, SCOPE_COLORS[k]) for k, label in enumerate(table.scope_labels)] if layers > 1 else []
    if hidden:
        legend_items.append((SECRET_LEGEND, f"url(#{_hatch_id(chart_id)})"))
    body, top = _legend(legend_items, 0) if legend_items else ([], 4)
    if hidden:
        body.insert(0, _hatch_def(chart_id))
    totals = []
    for k in range(layers):
        grand = table.cell(k, len(table.rows), total_col)[2] if table.col_totals else None
        totals.append(grand)
    share = layers > 1
    if share:
        scaled = [[(v / totals[k] * 100) if (v is not None and totals[k]) else None for k, v in enumerate(vals)]
                  for _, vals in rows]  # fmt: skip
    else:
        scaled = [vals for _, vals in rows]
    peak, _ = _scale(max([v for vals in scaled for v in vals if v is not None] or [0]))
    plot_w = WIDTH - label_w - 70
    row_h = bar_h * layers + gap
    height = top + row_h * len(rows) + 8
    for i, (label, _) in enumerate(rows):
        y = top + i * row_h
        body.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * layers / 2 + 4:.1f}" text-anchor="end" '
            f'class="cep-chart__label">{escape(_short(label))}</text>'
        )
        for k, v in enumerate(scaled[i]):
            yy = y + k * bar_h
            if v is None:
                mark = marks[i][k] or "s"
                body += _hatched(
                    chart_id, label_w, yy, SECRET_BAR, bar_h - 2, mark, label_w + SECRET_BAR + 10, yy + 11
                )
                continue
            w = plot_w * v / peak
            color = SCOPE_COLORS[k] if share else PALETTE[0]
            body.append(
                f'<rect x="{label_w}" y="{yy}" width="{max(w, 0.5):.1f}" height="{bar_h - 2}" fill="{color}"/>'
            )
            text = f"{v:.1f} %".replace(".", ",") if share else _fmt(v)
            body.append(f'<text x="{label_w + w + 4:.1f}" y="{yy + 11}" class="cep-chart__value">{text}</text>')
    title = table.title + (" — part de chaque catégorie, région et France entière" if share else "")
    return _svg(chart_id, title, height, body)


def charts_for(table: Table) -> list[str]:
    """[(caption or "", SVG marked safe)]: one chart per scope for monthly series, one for categories."""
    if table.chart == "series":
        several = len(table.scope_labels) > 1
        return [
            (table.scope_labels[k] if several else "", mark_safe(series_chart(table, k)))
            for k in range(len(table.scope_labels))
        ]
    if table.chart == "bars":
        return [("", mark_safe(bars_chart(table)))]
    return []
