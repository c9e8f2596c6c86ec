"""The yearly report's PDF (tagged PDF/UA-1, typst) and DOCX (python-docx), generated from a frozen copy alone
(ReportSnapshot: its sections, the operators' comment threads, the lasting disagreements, the data part's tables
and charts, its SHA-256), never from the live rows: a later edit changes nothing in a copy already frozen.

Re-generated on each download rather than stored (docs/decisions.md, 2026-12-07): the same copy gives the same
bytes, since every input is the frozen JSON, the dates are the copy's, the fonts are shipped with the code, the PDF
timestamp is fixed and the DOCX's zip entries carry a fixed date.

Charts: the data part's category tables as horizontal bars, each category's share of the scope's total, the région
beside the nation, drawn as SVG here (vector in the PDF, rendered to PNG by typst for the DOCX), each with an
alternative text written from its figures. A figure hidden by the small-cell rule has no bar: « secret
statistique » is written instead, and every share is computed from figures the table itself shows.
"""

import datetime
import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import typst
from django.utils import timezone

from cep.common.errors import RuleViolation
from cep.common.months import month_label
from cep.plans.documents.render import FONTS

from . import data_part as data_part_module
from . import workflow

TEMPLATES = Path(__file__).resolve().parent / "report_templates"
# Bump whenever the documents' text or layout changes (printed in each document).
TEMPLATE_VERSION = "1.0.0"
HIDDEN = "secret statistique"
COLORS = ("#000091", "#c9191e")  # the région (DSFR blue France), the nation (red Marianne)

# ---------------------------------------------------------------- the data part, frozen


def frozen_data_part(exercise) -> dict:
    """The data part as plain data (texts after suppression, charts with their shares and alt texts), or the
    reason it cannot be written yet."""
    try:
        part = data_part_module.data_part(exercise)
    except RuleViolation as refused:
        return {"error": refused.message}
    return {
        "start": month_label(part.start),
        "end": month_label(part.end),
        "sections": [
            {"key": key, "title": title, "tables": [_table(t) for t in tables]} for key, title, tables in part.sections
        ],
    }


def _table(table) -> dict:
    return {
        "key": table.key,
        "title": table.title,
        "row_header": table.row_header,
        "unit": table.unit,
        "note": table.note,
        "columns": list(table.columns_shown),
        "scopes": list(table.scope_labels),
        "rows": [
            {"label": label, "cells": [text for text, _, _ in cells], "total": is_total}
            for label, cells, is_total in table.combined()
        ],
        "chart": _chart(table) if table.chart == "bars" and table.col_totals else None,
    }


def _percent(share: float) -> str:
    return f"{share:.1f}".replace(".", ",") + " %"


def _chart(table) -> dict | None:
    """Each category's share of its scope's total, in the total column (or the only one), from shown figures."""
    layers = table.layers()
    column = len(table.columns_shown) - 1
    totals = [body[-1][1][column][2] for _, body in layers]
    if not any(totals):
        return None
    bars = []
    for i, label in enumerate(table.rows):
        shares = []
        for layer, (_, body) in enumerate(layers):
            value, total = body[i][1][column][2], totals[layer]
            shares.append(round(100 * value / total, 1) if value is not None and total else None)
        bars.append({"label": label, "shares": shares})
    if not bars:
        return None
    chart = {
        "title": f"{table.title} : part de chaque modalité dans le total des {table.unit}",
        "scopes": list(table.scope_labels),
        "bars": bars,
        # A scope whose total is hidden (or nil) has no share at all: said once, not as a hidden figure.
        "no_total": [not total for total in totals],
    }
    chart["alt"] = alt_text(chart, table.row_header)
    chart["svg"] = chart_svg(chart)
    return chart


def alt_text(chart: dict, row_header: str) -> str:
    """The chart told in words, from its figures: every category, every scope."""
    scopes, no_total = chart["scopes"], chart["no_total"]
    shown = [k for k in range(len(scopes)) if not no_total[k]]
    lines = [
        f"{bar['label']} : "
        + ", ".join(
            f"{scopes[k]} {_percent(bar['shares'][k]) if bar['shares'][k] is not None else HIDDEN}" for k in shown
        )
        for bar in chart["bars"]
    ]
    missing = "".join(
        f" {scopes[k]} : total non publié (secret statistique) ou nul, parts non calculées."
        for k in range(len(scopes))
        if no_total[k]
    )
    return (
        f"Graphique en barres horizontales. {chart['title']} ({row_header.lower()}), "
        f"{' comparée à '.join(scopes)}.{missing} " + " ; ".join(lines) + "."
    )


def _short(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def chart_svg(chart: dict) -> str:
    """A horizontal bar chart: one group per category, one bar per scope, the share written at its end."""
    scopes, bars = chart["scopes"], chart["bars"]
    label_w, plot_w, bar_h, gap = 230, 330, 11, 9
    group_h = bar_h * len(scopes) + gap
    top = 30
    height = top + group_h * len(bars) + 6
    width = label_w + plot_w + 70
    top_share = max([s for b in bars for s in b["shares"] if s is not None] or [1]) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans" font-size="10">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    x = label_w
    for k, scope in enumerate(scopes):  # the legend
        parts.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{COLORS[k % 2]}"/>')
        parts.append(f'<text x="{x + 14}" y="17" fill="#161616">{escape(scope)}</text>')
        x += 24 + 7 * len(scope)
    for i, bar in enumerate(bars):
        y = top + i * group_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * len(scopes) / 2 + 4}" text-anchor="end" '
            f'fill="#161616">{escape(_short(bar["label"]))}</text>'
        )
        for k, share in enumerate(bar["shares"]):
            by = y + k * bar_h
            if share is None:
                if chart["no_total"][k]:
                    continue
                parts.append(
                    f'<text x="{label_w + 2}" y="{by + bar_h - 2}" font-style="italic" font-size="9" '
                    f'fill="#666666">{HIDDEN}</text>'
                )
                continue
            w = round(plot_w * share / top_share, 1)
            parts.append(f'<rect x="{label_w}" y="{by}" width="{w}" height="{bar_h - 1}" fill="{COLORS[k % 2]}"/>')
            parts.append(
                f'<text x="{label_w + w + 4}" y="{by + bar_h - 2}" font-size="9" fill="#161616">'
                f"{_percent(share)}</text>"
            )
    parts.append(f'<line x1="{label_w}" y1="{top - 2}" x2="{label_w}" y2="{height - 4}" stroke="#666666"/>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------- what both documents say


def _paragraphs(body: str) -> list[list[str]]:
    """A section's text as paragraphs (blank lines) of lines (kept as typed)."""
    blocks = [b for b in body.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return [[line.rstrip() for line in b.strip("\n").split("\n")] for b in blocks]


def content(snapshot) -> dict:
    """Everything the documents print, read from the frozen copy and the exercise's identity (région, year)."""
    exercise = snapshot.exercise
    region = exercise.region.name
    frozen_on = timezone.localtime(snapshot.created_at)
    threads = snapshot.frozen_threads or []
    titles = {s["key"]: s["title"] for s in snapshot.sections}
    order = list(titles)
    by_section: dict[str, list] = {}
    for thread in threads:
        by_section.setdefault(thread["section_key"], []).append(thread)
    return {
        "title": f"Rapport annuel de suivi du CEP {exercise.year} – {region}",
        "region": region,
        "year": str(exercise.year),
        "number": str(snapshot.number),
        "state": workflow.STATE_LABELS.get(snapshot.state, snapshot.state),
        "frozen_on": frozen_on.strftime("%d/%m/%Y à %H:%M"),
        "sha256": snapshot.sha256,
        "template": TEMPLATE_VERSION,
        "sections": [
            {
                "key": s["key"],
                "title": s["title"],
                "version": str(s.get("version", "")),
                "paragraphs": _paragraphs(s["body"]),
            }
            for s in snapshot.sections
        ],
        "data": snapshot.data or {"error": "La partie données n'a pas été figée avec cette version."},
        "disagreements": [
            {**t, "section_title": titles.get(t["section_key"], t["section_key"])}
            for t in threads
            if t["status"] == "desaccord"
        ],
        "threads": [
            {"title": titles.get(key, key), "threads": rows}
            for key, rows in sorted(by_section.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
        ],
        "stamp": frozen_on.date().isoformat(),
    }


def filename(snapshot, extension: str) -> str:
    from django.utils.text import slugify

    exercise = snapshot.exercise
    return f"rapport-suivi-cep-{exercise.year}-{slugify(exercise.region.name)}-v{snapshot.number}.{extension}"


# ---------------------------------------------------------------- PDF


def _midnight(day: str) -> datetime.datetime:
    """The day the copy was frozen, midnight UTC: the documents' only date stamp."""
    return datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(), tzinfo=datetime.UTC)


def pdf(snapshot) -> bytes:
    data = content(snapshot)
    stamp = _midnight(data["stamp"])
    return typst.compile(
        str(TEMPLATES / "rapport.typ"),
        root=str(TEMPLATES),
        font_paths=[str(FONTS)],
        ignore_system_fonts=True,
        pdf_standards="ua-1",
        sys_inputs={"data": json.dumps(data, ensure_ascii=False, sort_keys=True)},
        timestamp=int(stamp.timestamp()),
    )


def chart_png(svg: str) -> bytes:
    """The SVG chart as a PNG (for the DOCX), drawn by typst with the shipped fonts."""
    return typst.compile(
        str(TEMPLATES / "chart.typ"),
        root=str(TEMPLATES),
        font_paths=[str(FONTS)],
        ignore_system_fonts=True,
        format="png",
        ppi=144,
        sys_inputs={"svg": svg},
    )


# ---------------------------------------------------------------- DOCX


def _set_language(document) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = document.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "fr-FR")
    rpr.append(lang)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _docx_table(document, table: dict) -> None:
    from docx.shared import Pt

    n, scopes = len(table["columns"]), table["scopes"]
    grid = document.add_table(rows=2, cols=1 + n * len(scopes))
    grid.style = "Table Grid"
    head, sub = grid.rows[0].cells, grid.rows[1].cells
    head[0].merge(sub[0]).text = table["row_header"]
    for k, scope in enumerate(scopes):
        first, last = 1 + k * n, k * n + n
        cell = head[first].merge(head[last]) if n > 1 else head[first]
        cell.text = scope
        for j, column in enumerate(table["columns"]):
            sub[first + j].text = column
    for row in grid.rows[:2]:
        _repeat_header(row)
    for row in table["rows"]:
        cells = grid.add_row().cells
        cells[0].text = row["label"]
        for j, text in enumerate(row["cells"]):
            cells[1 + j].text = text
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)


def _thread_lines(thread: dict) -> list[str]:
    lines = [
        f"{thread['kind']} – {thread['structure']} ({thread['author']}, {thread['created_on']}) : "
        f"{thread['status_label']}.",
        thread["body"],
    ]
    if thread["answer"]:
        lines.append(f"Réponse de la Transitions Pro : {thread['answer']}")
    lines += [f"Réponse de {r['author']} ({r['on']}) : {r['body']}" for r in thread["replies"]]
    if thread["closed_on"]:
        lines.append(f"Clos le {thread['closed_on']} par {thread['closed_by']}.")
    return lines


def docx(snapshot) -> bytes:
    import docx as python_docx
    from docx.shared import Cm

    data = content(snapshot)
    frozen = _midnight(data["stamp"])
    document = python_docx.Document()
    _set_language(document)
    props = document.core_properties
    props.title, props.author, props.subject = data["title"], f"Transitions Pro – {data['region']}", "Suivi du CEP"
    props.language, props.last_modified_by, props.revision = "fr-FR", "", 1
    props.created = props.modified = frozen
    props.keywords = f"SHA-256 {data['sha256']}"

    document.add_heading(data["title"], 0)
    for label, value in (
        ("Région", data["region"]),
        ("Exercice", data["year"]),
        ("Version figée", f"n° {data['number']}, le {data['frozen_on']}"),
        ("État du rapport", data["state"]),
        ("Empreinte SHA-256 de la version figée", data["sha256"]),
        ("Modèle du document", data["template"]),
    ):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label} : ").bold = True
        paragraph.add_run(value)

    for section in data["sections"]:
        document.add_heading(section["title"], 1)
        if not section["paragraphs"]:
            document.add_paragraph().add_run("Section non rédigée.").italic = True
        for lines in section["paragraphs"]:
            paragraph = document.add_paragraph()
            for i, line in enumerate(lines):
                run = paragraph.add_run(line)
                if i < len(lines) - 1:
                    run.add_break()
        if section["key"] == "partie2":
            _docx_data_part(document, data["data"], Cm)

    document.add_heading("Désaccords maintenus avec les opérateurs", 1)
    if not data["disagreements"]:
        document.add_paragraph("Aucun désaccord maintenu à cette version.")
    for thread in data["disagreements"]:
        document.add_heading(f"{thread['section_title']} – {thread['structure']}", 2)
        for line in _thread_lines(thread):
            document.add_paragraph(line)

    document.add_heading("Annexe : échanges avec les opérateurs sur le projet", 1)
    if not data["threads"]:
        document.add_paragraph("Aucun commentaire des opérateurs à cette version.")
    for group in data["threads"]:
        document.add_heading(group["title"], 2)
        for thread in group["threads"]:
            for i, line in enumerate(_thread_lines(thread)):
                document.add_paragraph(line, style=None if i else "List Bullet")

    footer = document.sections[0].footer.paragraphs[0]
    footer.text = f"Version figée n° {data['number']} – SHA-256 {data['sha256']}"
    out = io.BytesIO()
    document.save(out)
    return _fixed_zip(out.getvalue())


def _docx_data_part(document, part: dict, Cm) -> None:
    document.add_heading("Les données régionales au regard des données nationales", 2)
    if "error" in part:
        document.add_paragraph(part["error"])
        return
    document.add_paragraph(
        f"De {part['start']} à {part['end']}, à partir des indicateurs agrégés mensuels : aucune donnée personnelle. "
        "Secret statistique : « < 3 » pour un effectif inférieur à 3, « s » pour une case masquée afin qu'on ne "
        "puisse pas la retrouver par différence."
    )
    for section in part["sections"]:
        document.add_heading(section["title"], 3)
        for table in section["tables"]:
            document.add_paragraph().add_run(table["title"]).bold = True
            if table["note"]:
                document.add_paragraph(table["note"])
            _docx_table(document, table)
            chart = table["chart"]
            if chart:
                document.add_picture(io.BytesIO(chart_png(chart["svg"])), width=Cm(16))
                doc_pr = document.inline_shapes[-1]._inline.docPr
                doc_pr.set("descr", chart["alt"])
                doc_pr.set("title", chart["title"])
                document.add_paragraph(chart["title"], style="Caption")


def _fixed_zip(content: bytes) -> bytes:
    """The same entries, each dated 1 January 1980: the same document gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(item.filename))
    return out.getvalue()
