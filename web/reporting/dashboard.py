"""Indicator dashboards (« Indicateurs »): charts, data tables, CSV / XLSX downloads, background refresh.

Views parse the filters, call cep.reporting.indicators (dashboard_data), and render. Who sees what is decided there
(audience_for): counselors get a 403, observers get every table through small-cell suppression.
"""

import csv
import hashlib
import io
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods

from cep.common.dates import today
from cep.common.errors import RuleViolation
from cep.common.months import month_label
from cep.common.spreadsheet import safe_row, xlsx_row
from cep.reporting.indicators import audiences, dashboard_data, frameworks
from cep.reporting.indicators.tasks import enqueue_refresh

from .dashboard_charts import charts_for
from .dashboard_forms import DashboardFilters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTERS_TTL = 300  # seconds: a new région or network shows in the filters within 5 minutes (as the years offered)


def _audience_view(view):
    """Signed-in users with an audience; RuleViolation("DROITS") → 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            base = audiences.audience_for(request.user)
        except RuleViolation as exc:
            raise PermissionDenied(exc.message)
        return view(request, base, *args, **kwargs)

    return wrapper


def _filtered(request, base):
    form = DashboardFilters(request.GET or None, can_filter=base.can_filter, observer=base.suppress)
    if request.GET:
        form.is_valid()
    values = form.values()  # observers: one calendar year (the latest by default)
    audience = audiences.audience_for(request.user, region=values["region"], network=values["network"])
    return form, values, audience


def _filters_html(request, form, base) -> str:
    """The filters form as HTML, cached: rendering its lists (régions, networks, years) through the form templates
    cost 1 to 3 ms and two queries on every view. It depends only on the query string, the kind of form (national
    filters, observer's years), the day and the lists offered."""
    given = repr(sorted(request.GET.lists()))  # every parameter: the form may check more than its fields
    years = ",".join(map(str, getattr(form, "years", [])))
    digest = hashlib.sha256(f"{given}|{years}|{today()}".encode()).hexdigest()[:40]
    key = f"ind:filters:{int(base.can_filter)}:{int(base.suppress)}:{digest}"
    html = cache.get(key)
    if html is None:
        html = render_to_string("reporting/dashboard_filters.html", {"form": form})
        cache.set(key, html, FILTERS_TTL)
    return html


@_audience_view
def dashboard(request, base):
    """The page; its sections (charts and tables) are rendered once per refresh and filters, then cached."""
    form, values, audience = _filtered(request, base)
    state = dashboard_data.refresh_state()
    framework, start, end = values["framework"], values["start"], values["end"]
    query = form.query_string() if request.GET else ""

    def load():
        return dashboard_data.dashboard(audience, framework, start, end, state=state)

    data = SimpleLazyObject(load)
    key = f"{dashboard_data.cache_key(audience, framework, start, end, state)}:html:{query}"
    sections = cache.get(key)
    if sections is None:
        sections = render_to_string(
            "reporting/dashboard_sections.html",
            {"sections": [(table, charts_for(table)) for table in data.tables], "query": query},
        )
        cache.set(key, sections, 3600)
    return render(
        request,
        "reporting/dashboard.html",
        {
            "form": form,
            "filters_html": _filters_html(request, form, base),
            "data": data,
            "framework": frameworks.FRAMEWORKS[framework],
            "start": start,
            "end": end,
            "sections_html": sections,
            "state": state,
            "audience": audience,
            "query": query,
            "title": "Indicateurs",
        },
    )


@_audience_view
def dashboard_download(request, base):
    """One table (?tableau=key) or all of them, as CSV (;) or XLSX, with the same secret as on the page.

    Filters in error are refused (400, in French): the page shows its errors beside the default period, a file
    cannot, and a file of another period than the one asked for would be mistaken for it."""
    form, values, audience = _filtered(request, base)
    if request.GET and form.errors:
        errors = " ".join(e for errors in form.errors.values() for e in errors)
        return HttpResponse(f"Filtres incorrects : {errors}", status=400, content_type="text/plain; charset=utf-8")
    data = dashboard_data.dashboard(audience, values["framework"], values["start"], values["end"])
    key = request.GET.get("tableau")
    try:
        tables = [data.table(key)] if key else data.tables
    except KeyError:
        return HttpResponse("Tableau inconnu.", status=404, content_type="text/plain; charset=utf-8")
    stem = f"indicateurs-{data.framework.code}-{data.start:%Y-%m}-{data.end:%Y-%m}" + (f"-{key}" if key else "")
    if request.GET.get("format") == "csv":
        body = indicators_csv(tables)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    response = HttpResponse(indicators_xlsx(tables, data), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
@_audience_view
def dashboard_refresh(request, base):
    """GET: the progress fragment (polled by htmx while a refresh runs). POST: start a background refresh."""
    if request.method == "POST":
        if not base.can_refresh:
            raise PermissionDenied("L'actualisation des indicateurs est réservée à l'administration nationale.")
        enqueue_refresh()
        messages.success(request, "L'actualisation des indicateurs a été lancée.")
        return redirect(
            reverse("reporting:dashboard") + (f"?{request.POST.get('query')}" if request.POST.get("query") else "")
        )
    state = dashboard_data.refresh_state()
    return render(request, "reporting/dashboard_refresh.html", {"state": state, "audience": base})


# ------------------------------------------------------------------ file formats (text exactly as shown)


def _header(table) -> list[str]:
    return ["Périmètre", table.row_header, *table.columns_shown]


def _rows(table):
    for label, body in table.layers():
        for row_label, cells in body:
            yield [label, row_label, *[text for text, _, _ in cells]]


def indicators_csv(tables) -> str:
    """UTF-8 with BOM and semicolons (read as is by French spreadsheets); one block per table."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for n, table in enumerate(tables):
        if n:
            writer.writerow([])
        if len(tables) > 1:
            writer.writerow(safe_row([table.title]))
        writer.writerow(safe_row(_header(table)))
        writer.writerows(safe_row(row) for row in _rows(table))
    return out.getvalue()


def indicators_xlsx(tables, data) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(title=table.key[:31])
        xlsx_row(sheet, [table.title])[0].font = Font(bold=True)
        xlsx_row(sheet, [f"{data.framework.label} — {month_label(data.start)} à {month_label(data.end)}"])
        for cell in xlsx_row(sheet, _header(table)):
            cell.font = Font(bold=True)
        for row in _rows(table):
            xlsx_row(sheet, row, numbers=True)  # counts (negative ones too) as numbers
        if table.note:
            sheet.append([])
            xlsx_row(sheet, [table.note])
        if data.audience.suppress:
            xlsx_row(
                sheet, ["« < 3 » : moins de 3 ; « s » : masqué pour protéger une petite valeur (secret statistique)."]
            )
        sheet.column_dimensions["A"].width = 28
        sheet.column_dimensions["B"].width = 48
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
