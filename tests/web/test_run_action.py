"""run_action(): the one place where a page calls a service and turns a refusal into a form error or a message."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from cep.common.errors import RuleViolation
from web.views._forms import run_action


class Phase3Form(forms.Form):
    phase3_entry_date = forms.DateField()
    comment = forms.CharField(required=False)
    locked = forms.CharField(required=False, disabled=True)


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _messages(request) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(request)]


def _refuse(field=None):
    def action():
        raise RuleViolation("R5", "Refusé.", field=field)

    return action


def _bound():
    form = Phase3Form({"phase3_entry_date": "2026-01-02"})
    assert form.is_valid()
    return form


def test_success_flashes_and_redirects():
    request = _request()
    response = run_action(request, _bound(), lambda: 42, success="Fait.", redirect_to="/dossiers/1/")
    assert (response.status_code, response.url) == (302, "/dossiers/1/")
    assert _messages(request) == [("success", "Fait.")]


def test_message_and_target_may_depend_on_the_result():
    request = _request()
    response = run_action(
        request, None, lambda: 7, success=lambda n: f"{n} dossier(s).", redirect_to=lambda n: f"/offres/{n}/"
    )
    assert response.url == "/offres/7/" and _messages(request) == [("success", "7 dossier(s).")]


def test_a_refusal_goes_next_to_its_field_and_the_form_is_shown_again():
    request, form = _request(), _bound()
    assert run_action(request, form, _refuse("comment"), success="Fait.", redirect_to="/") is None
    assert form.errors == {"comment": ["Refusé."]} and _messages(request) == []


def test_service_names_are_translated_to_the_forms_names():
    form = _bound()
    run_action(_request(), form, _refuse("on"), success="", redirect_to="/")  # FIELD_ALIASES: on → phase3_entry_date
    assert form.errors == {"phase3_entry_date": ["Refusé."]}
    form = _bound()
    run_action(_request(), form, _refuse("when"), success="", redirect_to="/", aliases={"when": "comment"})
    assert form.errors == {"comment": ["Refusé."]}


def test_a_refusal_about_a_field_not_shown_goes_to_the_top_of_the_form():
    for field in (None, "unknown", "locked"):
        form = _bound()
        run_action(_request(), form, _refuse(field), success="", redirect_to="/")
        assert form.non_field_errors() == ["Refusé."], field


def test_a_function_may_choose_the_form_of_the_refusal():
    main, event = _bound(), _bound()
    chosen = []

    def choose(violation):
        chosen.append(violation.rule)
        return event

    run_action(_request(), choose, _refuse("comment"), success="", redirect_to="/")
    assert chosen == ["R5"] and event.errors == {"comment": ["Refusé."]} and not main.errors


def test_without_a_form_a_refusal_is_a_message_and_the_same_redirect():
    request = _request()
    response = run_action(request, None, _refuse(), success="Fait.", redirect_to="/dossiers/1/")
    assert (response.status_code, response.url) == (302, "/dossiers/1/")
    assert _messages(request) == [("error", "Refusé.")]


def test_other_exceptions_are_not_swallowed():
    def boom():
        raise ValueError("bug")

    with pytest.raises(ValueError):  # a bug must not become a message
        run_action(_request(), None, boom, success="", redirect_to="/")
