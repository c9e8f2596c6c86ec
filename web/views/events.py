"""Suivi › Événements: the dossier's events with the guide's filters, and the event form."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from cep.accounts.rights import Right
from cep.common import keyset
from cep.common.dates import today
from cep.events.queries import EVENT_KEY, dossier_events
from cep.events.services import record_event
from cep.offers.queries import with_services
from web.forms.events import EventFilterForm, EventForm

from ._access import dossier_or_404, dossier_rights, personal_data_required
from ._forms import run_action

PAGE = 50


@personal_data_required
def events(request, pk):
    b = dossier_or_404(request, pk)
    filters = EventFilterForm(request.GET or None)
    kwargs, actions = {}, ""
    if filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        kwargs = {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "nature": data["nature"].pk if data["nature"] else "",
            "direction": data["direction"].pk if data["direction"] else "",
            "in_progress": data["scope"] == "in_progress",
            "cep_context": {"oui": True, "non": False}.get(data["cep_context"]),
        }
        actions = data["actions"]
    rows, next_cursor = [], None
    if not filters.is_bound or filters.is_valid():
        # « avant »: the (date, id) of the previous page's last event; anything else is the first page, never a 500
        before = keyset.decode(request.GET.get("avant"), EVENT_KEY)
        # the events with labels, then their services (2 queries)
        rows = list(
            with_services(dossier_events(request.user, b, before=before, **kwargs), actions=actions)[: PAGE + 1]
        )
        if len(rows) > PAGE:
            rows = rows[:PAGE]
            next_cursor = keyset.encode((rows[-1].date, rows[-1].pk))
    query = request.GET.copy()
    query.pop("avant", None)
    context = {
        "b": b,
        "section": "événements",
        "title": f"Événements – {b}",
        "filters": filters,
        "events": rows,
        "today": today(),
        "next_cursor": next_cursor,
        "query": query.urlencode(),
    }
    template = "web/events/_list.html" if request.htmx else "web/events/list.html"
    return render(request, template, context)


def event_initial(user):
    return {
        "date": today(),
        "primary_context": "cep",
        "intervener": user.pk,
        "function": "conseiller",
        "place": "siege",  # most events happen at the structure (issue 14: one field less to fill)
        "delivery_mode": "sur_site",
        "group_mode": "individuel",
    }


def safe_next(request) -> str:
    """The `next` page to go back to (e.g. the home page's automatic-exit list), if it is one of this site's."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else ""


@dossier_rights(Right.EVENTS)
def add(request, pk):
    b = dossier_or_404(request, pk)
    next_url = safe_next(request)
    form = EventForm(request.POST or None, structure_id=b.structure_id, initial=event_initial(request.user))
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: record_event(beneficiary=b, actor=request.user, **form.service_fields()),
            success=f"L'événement a été enregistré ({b}).",
            redirect_to=next_url or reverse("web:events", kwargs={"pk": b.pk}),
        )
        if response is not None:
            return response
    context = {
        "b": b,
        "form": form,
        "section": "événements",
        "title": f"Nouvel événement – {b}",
        "next_url": next_url,
    }
    return render(request, "web/events/add.html", context)
