"""Home page per role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from cep.beneficiaries.queries import my_beneficiaries
from cep.enrolments.queries import ceps_closing_soon, ceps_in_progress_by_phase


@login_required
def home(request):
    user = request.user
    if not user.sees_personal_data:
        try:
            return redirect(reverse("reporting:dashboard"))
        except NoReverseMatch:
            return render(request, "web/home_observer.html", {"title": "Accueil"})
    whole = user.role in ("manager", "admin")
    context = {
        "title": "Accueil",
        "whole_structure": whole,
        "my_beneficiaries": my_beneficiaries(user),
        "phases": ceps_in_progress_by_phase(user, whole_structure=whole),
        "closing_soon": ceps_closing_soon(user, whole_structure=whole),
    }
    return render(request, "web/home.html", context)
