"""The portal's selects are drawn in Python (web/forms/base.py FastSelect) with the markup of Django's templates."""

import pytest
from django import forms
from django.test.html import parse_html

from web.forms.base import FastSelect, PortalForm
from web.forms.beneficiaries import SearchForm

CHOICES = [("", "Tous"), ("a", "Aurélie & <Léa>"), (3, "Trois")]
GROUPED = [("", "Aucun"), ("Groupe « un »", [("x", "X"), ("y", "Y")]), ("z", "Z")]


@pytest.mark.parametrize("choices", [CHOICES, GROUPED, []])
@pytest.mark.parametrize("value", [None, "", "a", 3, "x", "<absent>"])
def test_fast_select_draws_the_markup_of_djangos_templates(choices, value):
    attrs = {"class": "fr-select", "aria-describedby": "id_f_helptext", "disabled": True, "data-x": False}
    expected = forms.Select(choices=choices).render("f", value, attrs={**attrs, "id": "id_f"})
    drawn = FastSelect(choices=choices).render("f", value, attrs={**attrs, "id": "id_f"})
    assert parse_html(drawn) == parse_html(expected)
    assert "&lt;Léa&gt;" in drawn or not choices or choices is GROUPED  # labels stay escaped


def test_portal_forms_draw_their_plain_selects_fast_and_still_validate(structure, counselor):
    form = SearchForm({"status": "nope", "referent": str(counselor.pk)}, structure_id=structure.pk)
    assert isinstance(form.fields["status"].widget, FastSelect)
    assert isinstance(form.fields["referent"].widget, FastSelect)
    assert not form.is_valid() and "status" in form.errors and form.cleaned_data["referent"] == counselor
    html = str(form["referent"])
    assert f'<option value="{counselor.pk}" selected>' in html and counselor.get_full_name() in html

    class Radio(PortalForm):
        choice = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)

    assert not isinstance(Radio().fields["choice"].widget, FastSelect)  # radios keep their templates
