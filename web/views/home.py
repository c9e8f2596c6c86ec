"""Home page per role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from cep.appointments.queries import my_week
from cep.beneficiaries.queries import my_beneficiaries
from cep.common.access import can_view_dossiers
from cep.enrolments.overlaps import france_travail_registration_ended, overlapping_ceps
from cep.enrolments.queries import ceps_closing_soon, ceps_in_progress_by_phase
from cep.orientations.queries import home as orientations_home


@login_required
def home(request):
    user = request.user
    if not user.sees_personal_data:
        try:
            return redirect(reverse("reporting:dashboard"))
        except NoReverseMatch:
            return render(request, "web/home_observer.html", {"title": "Accueil"})
    if not can_view_dossiers(user):  # no dossier listed without « Consulter les informations d'un dossier »
        return render(request, "web/home.html", {"title": "Accueil", "can_view": False})
    whole = user.role in ("manager", "admin")
    context = {
        "can_view": True,
        "title": "Accueil",
        "whole_structure": whole,
        "my_beneficiaries": my_beneficiaries(user),
        "phases": ceps_in_progress_by_phase(user, whole_structure=whole),
        "closing_soon": ceps_closing_soon(user, whole_structure=whole),
        "appointments": my_week(user),
        "home_url": reverse("web:home"),
        # Issue 11: a person followed elsewhere too (part 3), a France Travail registration ended (part 4). The
        # counselor's own CEPs (a manager's too): at the scale of a whole structure these are reports, not alerts.
        "overlapping": overlapping_ceps(user),
        "registration_ended": france_travail_registration_ended(user),
        # Issue 11, part 2: orientations waiting for the structure's answer, answers to the user's own.
        "orientations": orientations_home(user),
    }
    return render(request, "web/home.html", context)
