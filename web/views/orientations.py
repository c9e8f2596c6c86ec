"""Orientations between structures (issue 11, part 2): the directory of structures, « Orienter » from a dossier,
the orientation's page (both sides: status, summary, history, actions), the received and sent lists.

The receiving structure (B) reads the orientation only — never A's dossier: no link to it is shown to B, and A's
dossier pages stay 404 for B (structure scoping). An orientation of a third structure is a 404.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cep.accounts.rights import Right
from cep.beneficiaries.queries import search_communes
from cep.common import keyset
from cep.organisations.models import Commune, Structure
from cep.orientations import queries, services
from cep.orientations.models import Orientation, Status
from cep.orientations.workflow import EXPIRY, allowed
from web.forms.orientations import AcceptForm, CancelForm, DirectoryForm, MessageForm, RefuseForm, SendForm

from ._access import dossier_or_404, dossier_rights
from ._forms import run_action

STATUS_BADGES = {
    Status.SENT: "fr-badge--info",
    Status.ACCEPTED: "fr-badge--success",
    Status.REFUSED: "fr-badge--error",
    Status.EXPIRED: "fr-badge--warning",
    Status.CANCELLED: "",
    Status.OBSOLETE: "",
}


def _detail_url(o) -> str:
    return reverse("web:orientation", kwargs={"orientation_id": o.pk})


def _orientation_or_404(request, orientation_id) -> Orientation:
    try:
        return queries.get_orientation(request.user, orientation_id)
    except Orientation.DoesNotExist:
        raise Http404("Orientation introuvable.")


def _resolve_commune(text: str) -> tuple[Commune | None, list]:
    """The commune typed (INSEE code, postal code or name): (it, []) when one fits, else (None, the choices)."""
    text = (text or "").strip()
    if not text:
        return None, []
    exact = Commune.objects.select_related("department").filter(pk=text.upper()).first()
    if exact is not None:
        return exact, []
    found = search_communes(text)
    if len(found) == 1:
        return Commune.objects.select_related("department").get(pk=found[0].pk), []
    return None, found


# --- Directory ------------------------------------------------------------------------------------------------


DIRECTORY_PAGE = 100  # structures per page of the directory


@dossier_rights()
def directory(request):
    """Annuaire des structures: searchable by the person's commune and by network, every structure by pages
    (keyset: « Page suivante » carries the last row's sort key); « Orienter vers cette structure » when a dossier is
    being oriented (?dossier=…)."""
    form = DirectoryForm(request.GET or None)
    dossier = None
    dossier_id = keyset.parse_id(request.GET.get("dossier"))
    if dossier_id and request.user.has_right(Right.ORIENT):
        dossier = dossier_or_404(request, dossier_id)
    after = keyset.decode(request.GET.get("apres"), queries.DIRECTORY_KEY)  # anything else: the first page
    commune, choices, rows, last = None, [], [], None
    if form.is_valid():
        commune, choices = _resolve_commune(form.cleaned_data["commune"])
        if form.cleaned_data["commune"] and commune is None and not choices:
            form.add_error("commune", "Aucune commune ne correspond : vérifiez le nom ou le code postal.")
        elif not choices:
            rows, last = queries.directory_page(
                commune=commune,
                network=form.cleaned_data["reseau"] or None,
                exclude=request.user.structure_id,
                after=after,
                limit=DIRECTORY_PAGE,
            )
    elif not request.GET:
        rows, last = queries.directory_page(exclude=request.user.structure_id, limit=DIRECTORY_PAGE)
    query = request.GET.copy()
    query.pop("apres", None)
    context = {
        "title": "Annuaire des structures",
        "form": form,
        "commune": commune,
        "commune_choices": choices,
        "rows": rows,
        "dossier": dossier,
        "query": query.urlencode(),
        "next_cursor": keyset.encode(last) if last else "",
        "is_first_page": after is None,
    }
    return render(request, "web/orientations/directory.html", context)


# --- Sending (A) -------------------------------------------------------------------------------------------


@dossier_rights(Right.ORIENT)
def orient(request, pk):
    """« Orienter » a dossier: without a chosen structure, the directory; with one, the consent and fields form."""
    b = dossier_or_404(request, pk)
    target_id = keyset.parse_id(request.GET.get("structure") or request.POST.get("structure"))
    if target_id is None:
        commune = f"&commune={b.commune_id}" if b.commune_id else ""
        return redirect(f"{reverse('web:orientation_directory')}?dossier={b.pk}{commune}")
    target = Structure.objects.select_related("network").filter(pk=target_id).first()
    if target is None:
        raise Http404("Structure introuvable.")
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = run_action(
            request,
            form,
            lambda: services.send_orientation(
                beneficiary=b,
                actor=request.user,
                target=target,
                consent_mode=data["consent_mode"],
                consent_on=data["consent_on"],
                fields=data["fields_sent"],
                comment=data["comment"],
            ),
            success=lambda o: f"L'orientation vers {o.target_structure_name} est envoyée.",
            redirect_to=_detail_url,
            aliases={"fields": "fields_sent"},
        )
        if response is not None:
            return response
    context = {"b": b, "target": target, "form": form, "section": "orientations", "title": f"Orienter – {b}"}
    return render(request, "web/orientations/orient.html", context)


# --- The orientation (both sides) ---------------------------------------------------------------------------


def _detail_context(request, o, **forms_) -> dict:
    user = request.user
    side = services.side_of(user, o)
    may_source = side == "source" and user.has_right(Right.ORIENT)
    may_target = side == "target" and user.has_right(Right.HANDLE_ORIENTATIONS)
    actions = allowed(o.status, "source") if may_source else allowed(o.status, "target") if may_target else {}
    context = {
        "title": f"Orientation vers {o.target_structure_name}",
        "o": o,
        "side": side,
        "badge": STATUS_BADGES.get(o.status, ""),
        "entries": queries.history(o),
        "expires_on": (o.last_activity_at + EXPIRY) if o.is_open else None,
        "may_write": o.is_open and (may_source or may_target),
        "may_cancel": Status.CANCELLED in actions,
        "may_withdraw": may_source and o.consent_withdrawn_at is None,
        "may_answer": Status.ACCEPTED in actions,
        # A sees its own dossier's link; B sees only the dossier the acceptance gave it.
        "own_dossier_id": o.beneficiary_id if side == "source" else o.target_beneficiary_id,
    }
    if context["may_write"]:
        context["message_form"] = forms_.get("message_form") or MessageForm()
    if context["may_cancel"]:
        context["cancel_form"] = forms_.get("cancel_form") or CancelForm()
    if context["may_answer"]:
        candidates = services.match_candidates(o)
        context["accept_form"] = forms_.get("accept_form") or AcceptForm(candidates=candidates)
        context["refuse_form"] = forms_.get("refuse_form") or RefuseForm()
    return context


@dossier_rights()
def detail(request, orientation_id):
    o = _orientation_or_404(request, orientation_id)
    return render(request, "web/orientations/detail.html", _detail_context(request, o))


def _post_on(request, orientation_id, form, action, success: str, key: str):
    """A form of the orientation's page: a form not valid is shown again with its errors; a refusal of the service
    (the orientation moved meanwhile, a side without the action…) is a French message above the page."""
    o = _orientation_or_404(request, orientation_id)
    if form is not None and not form.is_valid():
        return render(request, "web/orientations/detail.html", _detail_context(request, o, **{key: form}))
    return run_action(request, None, lambda: action(o), success=success, redirect_to=_detail_url(o))


@dossier_rights()
@require_POST
def message(request, orientation_id):
    form = MessageForm(request.POST)
    return _post_on(
        request,
        orientation_id,
        form,
        lambda o: services.post_message(orientation=o, actor=request.user, text=form.cleaned_data["text"]),
        "Votre message est envoyé.",
        "message_form",
    )


@dossier_rights(Right.HANDLE_ORIENTATIONS)
@require_POST
def accept(request, orientation_id):
    o = _orientation_or_404(request, orientation_id)
    form = AcceptForm(request.POST, candidates=services.match_candidates(o))

    def action(o):
        chosen = form.cleaned_data["match"]
        match = next((b for b in services.match_candidates(o) if b.pk == chosen), None) if chosen else None
        return services.accept_orientation(orientation=o, actor=request.user, match=match, new_dossier=chosen == 0)

    return _post_on(request, orientation_id, form, action, "L'orientation est acceptée.", "accept_form")


@dossier_rights(Right.HANDLE_ORIENTATIONS)
@require_POST
def refuse(request, orientation_id):
    form = RefuseForm(request.POST)
    return _post_on(
        request,
        orientation_id,
        form,
        lambda o: services.refuse_orientation(
            orientation=o, actor=request.user, reason=form.cleaned_data["reason"], comment=form.cleaned_data["comment"]
        ),
        "L'orientation est refusée.",
        "refuse_form",
    )


@dossier_rights(Right.ORIENT)
@require_POST
def cancel(request, orientation_id):
    form = CancelForm(request.POST)
    return _post_on(
        request,
        orientation_id,
        form,
        lambda o: services.cancel_orientation(orientation=o, actor=request.user, comment=form.cleaned_data["comment"]),
        "L'orientation est annulée.",
        "cancel_form",
    )


@dossier_rights(Right.ORIENT)
@require_POST
def withdraw_consent(request, orientation_id):
    return _post_on(
        request,
        orientation_id,
        None,
        lambda o: services.withdraw_consent(orientation=o, actor=request.user),
        "Le retrait du consentement est enregistré.",
        "",
    )


# --- Lists --------------------------------------------------------------------------------------------------


def _list(request, *, which: str):
    status = request.GET.get("statut") or None
    if status not in Status.values:
        status = None
    before = keyset.decode(request.GET.get("avant"), (int,))
    read = queries.received if which == "received" else queries.sent
    rows, next_id = read(request.user, status=status, before=before[0] if before else None)
    for o in rows:
        o.badge = STATUS_BADGES.get(o.status, "")
    context = {
        "title": "Orientations reçues" if which == "received" else "Orientations envoyées",
        "which": which,
        "rows": rows,
        "status": status,
        "statuses": Status.choices,
        "next_cursor": keyset.encode((next_id,)) if next_id else None,
    }
    return render(request, "web/orientations/list.html", context)


@dossier_rights(Right.HANDLE_ORIENTATIONS)
def received(request):
    return _list(request, which="received")


@dossier_rights(Right.ORIENT)
def sent(request):
    return _list(request, which="sent")
