"""Server-rendered SVG charts of the dashboard tables: no JavaScript, nothing from a CDN, CSP-friendly.

Every chart is an image (role="img") whose title names it; the data table right after it is the accessible
alternative and holds the exact figures. A cell hidden by the statistical secret draws no bar.
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
    legend, top = _legend(list(zip(columns, colors, strict=False)), 0)
    values = [[table.cell(layer, i, j)[2] for j in range(len(columns))] for i in range(len(table.rows))]
    peak, ticks = _scale(max([v for row in values for v in row if v is not None] or [0]))
    left, bottom, plot_h = 56, 34, 180
    height = top + plot_h + bottom
    plot_w = WIDTH - left - 8
    group_w = plot_w / max(1, len(values))
    bar_w = max(1.5, min(18.0, (group_w - 4) / max(1, len(columns))))
    body = legend
    for k in range(ticks + 1):  # horizontal grid and its labels
        v = peak * k / ticks
        y = top + plot_h - plot_h * k / ticks
        body.append(f'<line x1="{left}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" class="cep-chart__grid"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="cep-chart__axis">{_fmt(v)}</text>')
    step = max(1, len(values) // 12)
    for i, row in enumerate(values):
        x0 = left + i * group_w + (group_w - bar_w * len(columns)) / 2
        for j, v in enumerate(row):
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
    chart_id = f"graph-{table.key}-{layer}"
    return _svg(chart_id, f"{table.title} — {table.scope_labels[layer]}", height, body)


def bars_chart(table: Table) -> str:
    """Horizontal bars per category: counts for one scope, shares (%) for a region beside the nation."""
    total_col = len(table.columns) if table.row_totals else 0
    layers = len(table.scope_labels)
    label_w, bar_h, gap = 300, 14, 10
    legend_items = [(label, SCOPE_COLORS[k]) for k, label in enumerate(table.scope_labels)] if layers > 1 else []
    body, top = _legend(legend_items, 0) if legend_items else ([], 4)
    rows = []
    for i, label in enumerate(table.rows):
        rows.append((label, [table.cell(k, i, total_col)[2] for k in range(layers)]))
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
                text = "secret statistique"
                body.append(f'<text x="{label_w + 4}" y="{yy + 11}" class="cep-chart__value">{text}</text>')
                continue
            w = plot_w * v / peak
            color = SCOPE_COLORS[k] if share else PALETTE[0]
            body.append(
                f'<rect x="{label_w}" y="{yy}" width="{max(w, 0.5):.1f}" height="{bar_h - 2}" fill="{color}"/>'
            )
            text = f"{v:.1f} %".replace(".", ",") if share else _fmt(v)
            body.append(f'<text x="{label_w + w + 4:.1f}" y="{yy + 11}" class="cep-chart__value">{text}</text>')
    title = table.title + (" — part de chaque catégorie, région et France entière" if share else "")
    return _svg(f"graph-{table.key}", title, height, body)


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
