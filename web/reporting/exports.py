"""Pages of the monthly national file (« Fichiers mensuels »): produce, follow, download, transmit, return file.

Only users with the right « Produire le fichier mensuel » (structure managers, administrators) see them; a batch
of another structure answers 404. Views parse input, call one service or query, and render.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from dsfr.forms import DsfrBaseForm

from cep.accounts.rights import Right, Role
from cep.common import keyset
from cep.common.access import rights_message
from cep.common.errors import RuleViolation
from cep.common.months import last_complete_month
from cep.organisations.models import Operator, Structure
from cep.reporting.exports import batches, queries, returns
from cep.reporting.exports.contract import get_version
from cep.reporting.exports.files import stream_file
from cep.reporting.exports.models import ExportBatch, JobState, LineState
from cep.reporting.exports.received import record_download
from web.views._forms import run_action

MAX_RETURN_FILE = 50 * 1024 * 1024


def before_id(request) -> int | None:
    """The « avant » cursor of a list of batches (newest first): the id of the last batch of the previous page.
    Anything the page did not write (hand-edited URL) is the first page."""
    key = keyset.decode(request.GET.get("avant"), (int,))
    return key[0] if key else None


def id_cursor(pk: int | None) -> str | None:
    return keyset.encode((pk,)) if pk is not None else None


def exports_right_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.has_right(Right.EXPORT_MONTHLY):
            raise PermissionDenied(rights_message([Right.EXPORT_MONTHLY]))
        return view(request, *args, **kwargs)

    return wrapper


def _batch_or_404(request, pk: int, *, expire: bool = False) -> ExportBatch:
    """The batch if the user sees it; expire=True first marks it « Échec » if its job's lease expired."""
    try:
        batch = queries.get_batch(request.user, pk)
    except ExportBatch.DoesNotExist:
        raise Http404("Lot introuvable.")
    if expire and batch.job_state in batches.ACTIVE and batches.expire_stale(ExportBatch.objects.filter(pk=pk)):
        batch.refresh_from_db()
    return batch


class ProduceForm(DsfrBaseForm):
    month = forms.CharField(
        label="Mois déclaré",
        help_text="Format : mm/aaaa ; par défaut le mois dernier.",
        widget=forms.DateInput(attrs={"type": "month"}),
        max_length=7,
    )
    structure = forms.ModelChoiceField(
        label="Structure", queryset=Structure.objects.order_by("name"), required=False, empty_label="—"
    )
    operator = forms.ModelChoiceField(
        label="Opérateur (toutes ses structures)",
        queryset=Operator.objects.order_by("name"),
        required=False,
        empty_label="—",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not (user.role == Role.ADMIN and user.structure_id is None):
            del self.fields["structure"], self.fields["operator"]
        else:
            self.fields["structure"].help_text = "Laissez structure et opérateur vides pour le fichier national."

    def clean_month(self):
        try:
            return batches.parse_month(self.cleaned_data["month"])
        except RuleViolation as exc:
            raise forms.ValidationError(exc.message)

    def clean(self):
        data = super().clean()
        if data.get("structure") and data.get("operator"):
            raise forms.ValidationError("Choisissez une structure ou un opérateur, pas les deux.")
        return data

    def target(self) -> dict:
        if "structure" not in self.fields:
            return {"structure": self.user.structure}
        return {"structure": self.cleaned_data.get("structure"), "operator": self.cleaned_data.get("operator")}


class ReturnFileForm(DsfrBaseForm):
    resource = forms.ChoiceField(label="Fichier concerné", choices=())
    file = forms.FileField(
        label="Fichier retour",
        help_text="CSV UTF-8, une ligne par ligne traitée : numéro de ligne;code;message (0000 = acceptée).",
    )

    def __init__(self, *args, batch, **kwargs):
        super().__init__(*args, **kwargs)
        version = get_version(batch.contract_version)
        self.fields["resource"].choices = [(r.name, r.title) for r in version.resources.values()]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_RETURN_FILE:
            raise forms.ValidationError("Le fichier retour dépasse 50 Mo.")
        return upload


@require_GET
@exports_right_required
def export_list(request):
    before = before_id(request)
    batches.expire_stale(ExportBatch.objects.visible_to(request.user))  # a dead job shows « Échec », not « En cours »
    rows, next_cursor = queries.batch_page(request.user, before)
    form = ProduceForm(user=request.user, initial={"month": f"{last_complete_month():%Y-%m}"})
    return render(
        request,
        "reporting/exports_list.html",
        {"batches": rows, "next_cursor": id_cursor(next_cursor), "form": form, "is_first_page": before is None},
    )


@require_POST
@exports_right_required
def export_request(request):
    form = ProduceForm(request.POST, user=request.user)
    if form.is_valid():
        response = run_action(
            request,
            form,
            lambda: batches.request_export(actor=request.user, month=form.cleaned_data["month"], **form.target()),
            success=lambda batch: f"La production du fichier de {batch.month:%m/%Y} est lancée.",
            redirect_to=lambda batch: reverse("reporting:export_detail", kwargs={"pk": batch.pk}),
        )
        if response is not None:
            return response
    rows, next_cursor = queries.batch_page(request.user)
    return render(
        request,
        "reporting/exports_list.html",
        {"batches": rows, "next_cursor": id_cursor(next_cursor), "form": form, "is_first_page": True},
        status=400,
    )


@require_GET
@exports_right_required
def export_detail(request, pk: int):
    batch = _batch_or_404(request, pk, expire=True)
    version = get_version(batch.contract_version)
    resource = request.GET.get("fichier", "") if request.GET.get("fichier") in version.resources else ""
    state = request.GET.get("etat", "") if request.GET.get("etat") in LineState.values else ""
    after = keyset.decode(request.GET.get("apres"), (str, int))  # (file, line number) of the previous page's last
    lines, next_lines = queries.line_page(batch, resource=resource, state=state, after=after)
    return render(
        request,
        "reporting/exports_detail.html",
        {
            "batch": batch,
            "files": list(batch.files.all()),
            "diff": queries.differences(batch) if batch.job_state == JobState.DONE else None,
            "lines": lines,
            "next_lines": keyset.encode(next_lines) if next_lines else "",
            "resource": resource,
            "state": state,
            "line_states": LineState.choices,
            "resources": list(version.resources.values()),
            "return_form": ReturnFileForm(batch=batch),
            "running": batch.job_state in (JobState.QUEUED, JobState.RUNNING),
            "can_relaunch": batch.job_state == JobState.FAILED and _can_manage(request.user, batch),
            "computation_seconds": (batch.generated_at - batch.created_at).total_seconds()
            if batch.generated_at
            else None,
        },
    )


@require_GET
@exports_right_required
def export_progress(request, pk: int):
    """The progress bar, polled by htmx every second while the job runs; reloads the page when it ends (or when
    its lease expired: the worker died)."""
    batch = _batch_or_404(request, pk, expire=True)
    response = render(request, "reporting/exports_progress.html", {"batch": batch})
    if batch.job_state in (JobState.DONE, JobState.FAILED) and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@require_GET
@exports_right_required
def export_download(request, pk: int, resource: str):
    return file_download(request, _batch_or_404(request, pk), resource)


def file_download(request, batch: ExportBatch, resource: str) -> StreamingHttpResponse:
    """One file of a batch, streamed, with its SHA-256; the download is recorded in the history."""
    file = next((f for f in batch.files.all() if f.resource == resource), None)
    if file is None:
        raise Http404("Fichier introuvable.")
    record_download(actor=request.user, batch=batch, resource=resource, channel="web")
    version = get_version(batch.contract_version)
    response = StreamingHttpResponse(
        stream_file(batch.pk, version.resources[resource]), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    response["X-Checksum-SHA256"] = file.sha256
    return response


def _can_manage(user, batch) -> bool:
    try:
        batches.ensure_can_manage(user, batch)
    except (RuleViolation, PermissionDenied):
        return False
    return True


@require_POST
@exports_right_required
def export_relaunch(request, pk: int):
    """« Relancer »: a failed batch (or one whose worker died) is produced again, from scratch."""
    batch = _batch_or_404(request, pk)
    return run_action(
        request,
        None,
        lambda: batches.relaunch_export(batch=batch, actor=request.user),
        success=lambda b: f"La production du fichier de {b.month:%m/%Y} est relancée (tentative n° {b.attempt}).",
        redirect_to=reverse("reporting:export_detail", kwargs={"pk": batch.pk}),
    )


class _ZipSink:
    """Where zipfile writes: the bytes are taken away after each chunk (a streamed zip, never whole in memory)."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self):
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _zip_stream(batch: ExportBatch, files):
    import zipfile

    version = get_version(batch.contract_version)
    sink = _ZipSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            with archive.open(file.name, "w", force_zip64=True) as member:
                for chunk in stream_file(batch.pk, version.resources[file.resource]):
                    member.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


@require_GET
@exports_right_required
def export_download_all(request, pk: int):
    """« Tout télécharger (zip) »: the batch's files in one zip, streamed; each file's download recorded as when it
    is downloaded alone (same right, same isolation: another structure's batch is a 404)."""
    batch = _batch_or_404(request, pk)
    files = list(batch.files.all())
    if not files:
        raise Http404("Fichiers introuvables.")
    for file in files:
        record_download(actor=request.user, batch=batch, resource=file.resource, channel="web-zip")
    response = StreamingHttpResponse(_zip_stream(batch, files), content_type="application/zip")
    name = f"cep-{batch.month:%Y-%m}-lot-{batch.pk}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@exports_right_required
def export_transmit(request, pk: int):
    batch = _batch_or_404(request, pk)
    return run_action(
        request,
        None,
        lambda: batches.mark_transmitted(batch=batch, actor=request.user),
        success="Le lot est marqué « Transmis ».",
        redirect_to=reverse("reporting:export_detail", kwargs={"pk": batch.pk}),
    )


@require_POST
@exports_right_required
def export_return(request, pk: int):
    batch = _batch_or_404(request, pk)
    form = ReturnFileForm(request.POST, request.FILES, batch=batch)
    back = reverse("reporting:export_detail", kwargs={"pk": batch.pk}) + "#retour"
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    return run_action(
        request,
        None,
        lambda: returns.import_return_file(
            batch=batch,
            resource=form.cleaned_data["resource"],
            content=form.cleaned_data["file"].read(),
            actor=request.user,
        ),
        success=lambda result: (
            f"Fichier retour importé : {result['processed']} ligne(s) traitée(s), "
            f"{result['rejected']} ligne(s) rejetée(s)."
        ),
        redirect_to=back,
    )
