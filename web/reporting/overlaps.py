"""« Doubles accompagnements »: the persons with a CEP in progress in two structures, for the national observer.

Pseudonyms and structure codes only (cep/enrolments/overlaps.py): no name, no date of birth, no dossier id. A
month is read on its last day (the current month: today, from the CEPs in progress). Same access as the received
monthly files (national observer, no structure).
"""

import csv
import io

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cep.common import months
from cep.common.dates import today
from cep.common.errors import RuleViolation
from cep.enrolments import overlaps
from cep.organisations.models import Structure
from cep.reporting.exports.batches import parse_month

from .received import receiver_required

SHOWN = 200  # rows shown on the page; the CSV has them all


def _day(request):
    """(month, day read, month text, error)."""
    text = request.GET.get("mois", "").strip()
    current = months.month_start(today())
    if not text:
        return current, today(), "", ""
    try:
        month = parse_month(text)
    except RuleViolation as exc:
        return current, today(), text, exc.message
    if month > current:
        return current, today(), text, "Le mois ne peut pas être dans le futur."
    return month, today() if month == current else months.month_end(month), text, ""


@require_GET
@receiver_required
def overlap_report(request):
    month, day, text, error = _day(request)
    rows = [] if error else overlaps.national_overlaps(day)
    names = dict(
        Structure.objects.filter(pk__in={int(r[i]) for r in rows[:SHOWN] for i in (1, 4)}).values_list("pk", "name")
    )
    shown = [
        {
            "pseudonym": r[0],
            "first": (r[1], names.get(int(r[1]), ""), r[2], r[3]),
            "second": (r[4], names.get(int(r[4]), ""), r[5], r[6]),
        }
        for r in rows[:SHOWN]
    ]
    context = {
        "title": "Doubles accompagnements",
        "month": month,
        "day": day,
        "month_text": text,
        "month_error": error,
        "count": len(rows),
        "persons": len({r[0] for r in rows}),
        "rows": shown,
        "shown": SHOWN,
    }
    return render(request, "reporting/overlaps.html", context, status=400 if error else 200)


@require_GET
@receiver_required
def overlap_report_csv(request):
    month, day, text, error = _day(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(overlaps.REPORT_COLUMNS)
    writer.writerows(overlaps.national_overlaps(day))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="doubles-accompagnements_{month:%Y-%m}.csv"'
    return response
