"""Render a document to a tagged PDF/UA-1 with typst (the `typst` package on the package index: no system tool).

Pure: data in, bytes out, nothing read from the database. The same data and day give the same bytes: the PDF's
dates are the day given (midnight UTC), the fonts are the ones shipped beside the templates (system fonts are
ignored), and every text reaches typst as data (`sys.inputs`), never as markup.
"""

import datetime
import json
from pathlib import Path

import typst

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
FONTS = HERE / "fonts"

# Bump a template's version whenever its text or layout changes: each issued copy records the version it used.
TEMPLATE_VERSIONS = {"niveau1": "1.0.0", "synthese": "1.0.0", "prise_de_recul": "1.0.0"}


def render(kind: str, data: dict, *, on: datetime.date) -> bytes:
    if kind not in TEMPLATE_VERSIONS:
        raise ValueError(f"Unknown document kind: {kind!r}")
    stamp = datetime.datetime.combine(on, datetime.time(), tzinfo=datetime.UTC)
    return typst.compile(
        str(TEMPLATES / f"{kind}.typ"),
        root=str(TEMPLATES),
        font_paths=[str(FONTS)],
        ignore_system_fonts=True,
        pdf_standards="ua-1",
        sys_inputs={"data": json.dumps(data, ensure_ascii=False, sort_keys=True)},
        timestamp=int(stamp.timestamp()),
    )
