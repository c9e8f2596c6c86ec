"""The machine-checkable subset of PDF/UA-1 (veraPDF cannot be installed here, docs/decisions.md).

Two layers: the `pdfua` package (rules on pikepdf) for its whole catalogue, and our own pikepdf checks for the points
the issue names, so that a rule of `pdfua` that fails to run on a file (it reports it as skipped) never hides one.
"""

import io
import tempfile

import pikepdf
import pypdf

TEXT_OPS = {"Tj", "TJ", "'", '"'}


def _fonts(pdf: pikepdf.Pdf):
    for page in pdf.pages:
        resources = page.obj.get("/Resources", {})
        for font in resources.get("/Font", {}).values():
            yield font
            yield from font.get("/DescendantFonts", [])


def _struct_elements(node, depth=0):
    if depth > 200:
        return
    if isinstance(node, pikepdf.Array):
        for child in node:
            yield from _struct_elements(child, depth + 1)
    elif isinstance(node, pikepdf.Dictionary):
        if "/S" in node:
            yield node
        if "/K" in node:
            yield from _struct_elements(node["/K"], depth + 1)


def artifact_text_heights(pdf: pikepdf.Pdf, page) -> list[float]:
    """The vertical positions of the text drawn inside /Artifact marked content on a page."""
    heights, stack, y, text_y = [], [], 0.0, 0.0
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op in ("BMC", "BDC"):
            stack.append(str(operands[0]))
        elif op == "EMC" and stack:
            stack.pop()
        elif op == "cm":  # typst places each run of text with its own transformation (absolute on the page)
            y, text_y = float(operands[5]), 0.0
        elif op == "Tm":
            text_y = float(operands[5])
        elif op in TEXT_OPS and "/Artifact" in stack:
            heights.append(y + text_y)
    return heights


def problems(content: bytes) -> list[str]:
    found = []
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        import pdfua

        report = pdfua.validate(handle.name)
        found += [f"pdfua {f.rule_id}: {f.message}" for f in report.findings if f.severity.name == "ERROR"]
    pdf = pikepdf.open(io.BytesIO(content))
    root = pdf.Root
    if not (root.get("/MarkInfo") and root.MarkInfo.get("/Marked") is True):
        found.append("not marked as tagged (/MarkInfo /Marked true)")
    if "/StructTreeRoot" not in root:
        found.append("no /StructTreeRoot")
    if not str(root.get("/Lang", "")).startswith("fr"):
        found.append(f"/Lang is {root.get('/Lang')!r}, not French")
    with pdf.open_metadata() as meta:
        if not meta.get("dc:title"):
            found.append("no dc:title in the XMP metadata")
        if meta.get("pdfuaid:part") != "1":
            found.append("no PDF/UA-1 identification in the XMP metadata")
    if not (root.get("/ViewerPreferences") and root.ViewerPreferences.get("/DisplayDocTitle") is True):
        found.append("/DisplayDocTitle is not true")
    for font in _fonts(pdf):
        descriptor = font.get("/FontDescriptor")
        if descriptor is None and font.get("/Subtype") == "/Type0":
            continue  # a composite font: its descendant carries the descriptor
        if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            found.append(f"font {font.get('/BaseFont')} not embedded")
    if "/StructTreeRoot" in root:
        for element in _struct_elements(root.StructTreeRoot.get("/K")):
            if element.S == "/Figure":
                alt = str(element.get("/Alt", "")).strip()
                if not alt:
                    found.append("an image has no alternative text")
    for number, page in enumerate(pdf.pages, start=1):
        height = float(page.mediabox[3])
        heights = artifact_text_heights(pdf, page)
        if not any(h > height * 0.9 for h in heights):
            found.append(f"page {number}: no running header drawn as an artifact")
        if not any(h < height * 0.1 for h in heights):
            found.append(f"page {number}: no running footer drawn as an artifact")
    return found


def text(content: bytes) -> str:
    """The text of every page; typst's typographic apostrophes and French no-break spaces read as plain ones."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    words = "\n".join(page.extract_text() for page in reader.pages)
    return words.replace("\u2019", "'").replace("\u202f", " ").replace("\xa0", " ")
