"""Suivi › Rendez-vous: the dossier's rendez-vous, the booking form, « Honoré » / « Non honoré » / « Annuler »; the
counselor's agenda feed (.ics) and its « Régénérer » button on the account page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cep.accounts.rights import Right
from cep.appointments import feed as agenda
from cep.appointments.models import Appointment
from cep.appointments.queries import dossier_appointments, split_upcoming
from cep.appointments.services import book_appointment, set_status
from cep.appointments.workflow import OUTCOMES, allowed
from cep.common.dates import today
from cep.common.errors import RuleViolation
from web.forms.appointments import AppointmentForm, appointment_initial

from ._access import dossier_or_404, dossier_rights
from ._forms import run_action

ALIASES = {"starts_at": "day"}
SUCCESS = {
    "honore": "Le rendez-vous est honoré : son événement est enregistré.",
    "non_honore": "Le rendez-vous est noté « Non honoré ».",
    "annule": "Le rendez-vous est annulé.",
}


def _url(beneficiary_id) -> str:
    return reverse("web:appointments", kwargs={"pk": beneficiary_id})


def _list_context(request, b, **extra) -> dict:
    rows = list(dossier_appointments(request.user, b))
    may_act, day = request.user.has_right(Right.EVENTS), today()
    for a in rows:
        a.actions = allowed(a.status) if may_act else {}
        if localtime(a.starts_at).date() > day:  # « Honoré » / « Non honoré » from the day of the rendez-vous
            a.actions = {code: label for code, label in a.actions.items() if code not in OUTCOMES}
    upcoming, past = split_upcoming(rows)
    return {"b": b, "upcoming": upcoming, "past": past, **extra}


@dossier_rights(on_post=(Right.EVENTS,))
def appointments(request, pk):
    b = dossier_or_404(request, pk)
    form = None
    if request.user.has_right(Right.EVENTS):
        form = AppointmentForm(
            request.POST or None, structure_id=b.structure_id, initial=appointment_initial(request.user)
        )
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: book_appointment(beneficiary=b, actor=request.user, **form.service_fields()),
            success=lambda a: f"Le rendez-vous du {localtime(a.starts_at):%d/%m/%Y à %H:%M} est pris.",
            redirect_to=_url(b.pk),
            aliases=ALIASES,
        )
        if response is not None:
            return response
    context = _list_context(request, b, form=form, section="rendez-vous", title=f"Rendez-vous – {b}")
    return render(request, "web/appointments/list.html", context)


@dossier_rights(Right.EVENTS)
@require_POST
def change_status(request, appointment_id):
    appointment = (
        Appointment.objects.visible_to(request.user).select_related("beneficiary").filter(pk=appointment_id).first()
    )
    if appointment is None:
        raise Http404("Rendez-vous introuvable.")
    b, status = appointment.beneficiary, request.POST.get("status", "")
    if not request.htmx:  # without JavaScript: the message, then the tab again
        return run_action(
            request,
            None,
            lambda: set_status(appointment=appointment, actor=request.user, status=status),
            success=SUCCESS.get(status, "Le rendez-vous est enregistré."),
            redirect_to=_url(b.pk),
        )
    notice, error = None, None
    try:
        set_status(appointment=appointment, actor=request.user, status=status)
        notice = SUCCESS.get(status)
    except RuleViolation as violation:
        error = violation.message
    context = _list_context(request, b, notice=notice, error=error)
    return render(request, "web/appointments/_lists.html", context)


@require_GET
@never_cache
def feed(request, token):
    """The agenda feed: no session, the token is the key (an unknown or regenerated one is a 404)."""
    user = agenda.user_for(token)
    if user is None:
        raise Http404("Agenda introuvable.")
    body = agenda.build(user, dossier_url=lambda pk: request.build_absolute_uri(reverse("web:dossier", args=[pk])))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="rendez-vous.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def feed_regenerate(request):
    if not (request.user.sees_personal_data and request.user.structure_id):
        messages.error(request, "L'agenda des rendez-vous est réservé au personnel d'une structure.")
        return redirect("web:account")
    agenda.regenerate(request.user)
    messages.success(request, "Nouveau lien d'agenda créé : l'ancien lien ne fonctionne plus.")
    return redirect(reverse("web:account") + "#agenda")
