"""The rules of the product, published: docs/regles-cep.md rendered as a page of the portal (public).

Refusals of the API link to its anchors (`"doc": "/docs/regles-cep#r5"`), so does the user guide.
"""

from functools import cache
from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from markdown_it import MarkdownIt

RULES_FILE = Path(settings.BASE_DIR) / "docs" / "regles-cep.md"


@cache
def _rendered(mtime: float) -> str:
    # The document is ours (in the repository): its HTML anchors (<a id="r5"></a>) are kept.
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(RULES_FILE.read_text(encoding="utf-8"))


@require_GET
def rules(request):
    html = _rendered(RULES_FILE.stat().st_mtime)
    return render(request, "web/regles_cep.html", {"content": mark_safe(html)})  # noqa: S308 (our own document)
