"""Pages of the import (« Imports »): upload → dry-run report → confirm (progress bar) → result; list; undo.

Only users with the right « Importer des données » (structure managers, administrators of a structure) see them;
another structure's batch answers 404. Views parse input, call one service or query, and render.
"""

import csv
import io
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from dsfr.forms import DsfrBaseForm

from cep.accounts.rights import Right
from cep.common import keyset
from cep.common.access import rights_message
from cep.common.errors import RuleViolation
from cep.imports import queries, services
from cep.imports.models import ImportBatch, Outcome, Status
from cep.imports.reading import ENCODING_CHOICES
from cep.imports.templates import TEMPLATES, template_rows
from web.views._forms import add_violation, run_action

MAX_UPLOAD = 100 * 1024 * 1024


def import_right_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.has_right(Right.IMPORT_DATA):
            raise PermissionDenied(rights_message([Right.IMPORT_DATA]))
        return view(request, *args, **kwargs)

    return wrapper


class UploadForm(DsfrBaseForm):
    kind = forms.ChoiceField(
        label="Type de fichier",
        choices=[(kind, module.LABEL) for kind, module in services.KINDS.items()],
        help_text="Les dispositifs CEP se rattachent aux dossiers déjà dans la structure : importez d'abord les "
        "bénéficiaires.",
    )
    file = forms.FileField(
        label="Fichier à importer",
        help_text="CSV (séparateur virgule ou point-virgule) ou XLSX, 100 Mo au plus, avec la ligne d'en-tête du "
        "modèle.",
    )
    encoding = forms.ChoiceField(
        label="Encodage du fichier CSV",
        choices=[("auto", "Détection automatique"), *ENCODING_CHOICES],
        initial="auto",
        help_text="Laissez « Détection automatique » ; choisissez un encodage si les accents de l'aperçu sont faux.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError("Le fichier dépasse 100 Mo : découpez-le.")
        return upload


class ConfirmForm(DsfrBaseForm):
    encoding_confirmed = forms.BooleanField(
        label="Les accents de l'aperçu s'affichent correctement : je confirme l'encodage détecté.", required=False
    )


def _batch_or_404(request, pk: int) -> ImportBatch:
    try:
        batch = queries.get_batch(request.user, pk)
    except ImportBatch.DoesNotExist:
        raise Http404("Import introuvable.")
    if batch.is_running and services.expire_stale(ImportBatch.objects.filter(pk=pk)):
        batch.refresh_from_db()
    return batch


def _list_context(request, form):
    before = keyset.decode(request.GET.get("avant"), (int,))
    rows, next_cursor = queries.batch_page(request.user, before[0] if before else None)
    return {
        "batches": rows,
        "next_cursor": keyset.encode((next_cursor,)) if next_cursor else "",
        "is_first_page": before is None,
        "form": form,
        "templates": TEMPLATES,
    }


@require_GET
@import_right_required
def batch_list(request):
    return render(request, "imports/list.html", _list_context(request, UploadForm()))


@require_POST
@import_right_required
def upload(request):
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.check_file(
                actor=request.user,
                file=upload.file,
                name=upload.name,
                kind=form.cleaned_data["kind"],
                encoding=form.cleaned_data["encoding"],
            )
        except RuleViolation as violation:
            add_violation(form, violation, aliases={None: "file"})
        else:
            return redirect("imports:detail", pk=batch.pk)
        finally:
            upload.close()  # a large upload's temporary file is removed now, not at the end of the request
    return render(request, "imports/list.html", _list_context(request, form), status=400)


@require_GET
@import_right_required
def detail(request, pk: int):
    batch = _batch_or_404(request, pk)
    outcome = request.GET.get("resultat", Outcome.REFUSED)
    if outcome not in Outcome.values:
        outcome = Outcome.REFUSED
    warned = request.GET.get("avertissements") == "1"  # only the lines accepted with a warning
    after = keyset.decode(request.GET.get("apres"), (int,))
    lines, next_line = queries.line_page(batch, outcome, after[0] if after else None, warned=warned)
    return render(
        request,
        "imports/detail.html",
        {
            "batch": batch,
            "lines": lines,
            "outcome": outcome,
            "outcome_label": Outcome(outcome).label,
            "warned": warned,
            "outcomes": Outcome.choices,
            "next_lines": keyset.encode((next_line,)) if next_line else "",
            "preview": queries.preview(batch) if batch.status == Status.CHECKED else [],
            "confirm_form": ConfirmForm(),
            "upload_form": UploadForm(initial={"encoding": "cp1252" if batch.encoding.startswith("utf") else "utf-8"}),
        },
    )


@require_POST
@import_right_required
def confirm(request, pk: int):
    batch = _batch_or_404(request, pk)
    form = ConfirmForm(request.POST)
    form.is_valid()
    return run_action(
        request,
        None,
        lambda: services.confirm(
            batch=batch, actor=request.user, encoding_confirmed=form.cleaned_data.get("encoding_confirmed", False)
        ),
        success="L'import est lancé : la barre de progression suit son avancement.",
        redirect_to=reverse("imports:detail", kwargs={"pk": batch.pk}),
    )


@require_GET
@import_right_required
def progress(request, pk: int):
    """The progress bar, polled by htmx every second while the job runs; reloads the page when it ends."""
    batch = _batch_or_404(request, pk)
    response = render(request, "imports/progress.html", {"batch": batch})
    if not batch.is_running and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@import_right_required
def undo(request, pk: int):
    batch = _batch_or_404(request, pk)
    return run_action(
        request,
        None,
        lambda: services.undo(batch=batch, actor=request.user),
        success="L'annulation est lancée : ce que l'import avait créé sera supprimé, ses mises à jour défaites.",
        redirect_to=reverse("imports:detail", kwargs={"pk": batch.pk}),
    )


@require_POST
@import_right_required
def discard(request, pk: int):
    batch = _batch_or_404(request, pk)
    try:
        services.discard(batch=batch, actor=request.user)
    except RuleViolation as violation:
        messages.error(request, violation.message)
        return redirect("imports:detail", pk=batch.pk)
    messages.success(request, "Le lot contrôlé est abandonné : rien n'a été importé.")
    return redirect("imports:list")


@require_GET
@import_right_required
def refused_download(request, pk: int):
    batch = _batch_or_404(request, pk)
    response = StreamingHttpResponse(queries.refused_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-lignes-refusees.csv"'
    return response


@require_GET
@import_right_required
def template_csv(request, kind: str):
    if kind not in TEMPLATES:
        raise Http404("Modèle introuvable.")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in template_rows(kind):
        writer.writerow(row)
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="modele-{kind}.csv"'
    return response
