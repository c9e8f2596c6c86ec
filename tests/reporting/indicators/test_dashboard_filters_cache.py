"""The dashboard's filters are cached as HTML (web/reporting/dashboard.py): each query string still gets its own
values and errors, and each kind of user its own form."""

import re

import pytest

from tests.reporting.indicators.test_dashboard import PERIOD, URL, YEAR, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _filters(response) -> str:
    html = response.content.decode()
    return re.search(r'<form method="get".*?</form>', html, re.S).group(0)


def _selected(form_html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', form_html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select)


def test_each_query_string_gets_its_own_values_and_errors(client, world):  # noqa: F811
    _, users = world
    client.force_login(users["national"])
    first = _filters(client.get(URL, {**YEAR, "region": "94"}))
    assert _selected(first, "region") == ["94"] and "Filtres incorrects" not in first
    other = _filters(client.get(URL, {**YEAR, "reseau": "france_travail"}))
    assert _selected(other, "region") == [""] and _selected(other, "reseau") == ["france_travail"]
    wrong = _filters(client.get(URL, {**YEAR, "region": "94", "reseau": "france_travail"}))
    assert "Filtres incorrects" in wrong
    assert _filters(client.get(URL, {**YEAR, "region": "94"})) == first  # the cached copy, unchanged


def test_each_kind_of_user_gets_its_own_form(client, world):  # noqa: F811
    _, users = world
    forms = {}
    for role, params in (("manager", PERIOD), ("regional", YEAR), ("national", YEAR)):
        client.force_login(users[role])
        forms[role] = _filters(client.get(URL, params))
    assert 'name="debut"' in forms["manager"] and 'name="annee"' not in forms["manager"]
    assert 'name="annee"' in forms["regional"] and 'name="region"' not in forms["regional"]
    assert 'name="annee"' in forms["national"] and 'name="region"' in forms["national"]
