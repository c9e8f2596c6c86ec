"""Bad input never gives a 500 (issue 10, point 5): a crawler over every page of the `web`, `manager` and `reporting`
namespaces, for each role, with query strings built from the parameter names the views read and nasty values
(digits of other scripts, NUL bytes, huge numbers, years 0 and 10000, out-of-range months, broken cursors).

Two passes: a sweep (every page × every role, every parameter given a nasty value, rotated so that each parameter of
each page meets most of them across the roles; the month pairs on every page) and a hypothesis-driven one (random
pages and query strings, derandomized: the same examples on every run, so CI is deterministic). About 1,500 requests
in all."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.test_permissions import URLS, World
from web.forms.beneficiaries import SearchForm
from web.forms.ceps import CloseForm
from web.forms.events import EventFilterForm
from web.forms.services import OfferSearchForm
from web.manager.forms import OfferSearchForm as ManagerOfferSearchForm
from web.reporting.dashboard_forms import DashboardFilters

ROLES = ("counselor", "manager", "admin", "regional_observer", "national_observer")
# Every query parameter a view reads (grep request.GET in web/), and the fields of the forms bound to request.GET.
PARAMS = sorted(
    {"avant", "apres", "after", "fichier", "etat", "tableau", "format", "mois", "next", "commune", "structure", "de"}
    | {"nature", "preremplir"}  # the regional monitoring pages (issue 12)
    | set(SearchForm.base_fields)
    | set(OfferSearchForm.base_fields)
    | set(ManagerOfferSearchForm.base_fields)
    | set(EventFilterForm.base_fields)
    | set(DashboardFilters.base_fields)
    | set(CloseForm.base_fields)
)
NASTY = [
    "²",  # passes str.isdigit(), fails int()
    "٣",  # an Arabic-Indic digit: int() takes it, a database does not expect it
    "１２",  # full-width digits
    "Ⅻ",
    "\x00",
    "1\x00",
    "2024-01\x00",
    "9" * 5000,
    "99999999999999999999",
    "-1",
    "0",
    "0000-01",
    "10000-01",
    "0001-01",
    "9999-12",
    "2024-13",
    "2024-00",
    "0000-00-00",
    "31/02/2024",
    "00/00/0000",
    "99/99/99999",
    "1e9",
    "%00",
    "'; DROP TABLE x; --",
    "",
]
# Values a careful attacker tries on the month pair of the indicators: their range reaches year 0 or year 10000.
PAIRS = [
    {"debut": "0001-01", "fin": "0001-02"},
    {"debut": "9999-11", "fin": "9999-12"},
    {"debut": "0001-01"},
    {"fin": "0001-01"},
    {"debut": "9999-12"},
    {"annee": "0"},
    {"annee": "10000"},
    {"annee": "²"},
]


ROTATIONS = 3


@pytest.fixture
def crawl(structure, other_structure, counselor, manager, cep_refs):
    world = World(structure, other_structure, counselor, manager, cep_refs)
    urls = [(name, reverse(name, kwargs=world.kwargs(name, "own"))) for name in sorted(URLS)]
    clients = {}
    for role in ROLES:
        clients[role] = Client()
        clients[role].force_login(world.users[role])
    return urls, clients


def _get(client, url, query):
    response = client.get(url, query)
    assert response.status_code < 500, f"{url}?{query!r}: {response.status_code}"
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_sweep_every_page_with_nasty_values_in_every_parameter(crawl, role):
    urls, clients = crawl
    offset = ROLES.index(role) * ROTATIONS
    for name, url in urls:
        for turn in range(ROTATIONS):
            _get(clients[role], url, {p: NASTY[(offset + turn + j) % len(NASTY)] for j, p in enumerate(PARAMS)})
        for pair in PAIRS if name.startswith("reporting:") else ():  # the month filters are the indicators'
            _get(clients[role], url, pair)


def _value():
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=12),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.from_regex(r"-?[0-9]{1,6}-[0-9]{1,3}", fullmatch=True),  # month-like, any year
        st.from_regex(r"[0-9]{1,3}/[0-9]{1,3}/-?[0-9]{1,6}", fullmatch=True),  # date-like
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_random_query_strings_never_give_a_server_error(crawl, role):
    urls, clients = crawl

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(
        page=st.sampled_from(urls),
        query=st.dictionaries(st.sampled_from(PARAMS), _value(), max_size=4),
    )
    def check(page, query):
        _get(clients[role], page[1], query)

    check()


@pytest.mark.django_db
def test_a_query_no_page_can_read_is_refused_with_a_french_400(crawl):
    _, clients = crawl
    for query in ({"q": "a\x00b"}, {"after": "\x01"}, {"q": "9" * 5000}, {"\x00": "1"}):
        response = clients["counselor"].get(reverse("web:beneficiary_search"), query)
        assert response.status_code == 400 and "Requête incorrecte" in response.content.decode()
    ok = clients["counselor"].get(reverse("web:beneficiary_search"), {"q": "Dupont\tMarie"})
    assert ok.status_code == 200


@pytest.mark.django_db
def test_the_second_factor_page_goes_on_only_to_a_path_of_the_site(crawl):
    _, clients = crawl
    for bad in ("²", "web:home", "https://exemple.org/", "//exemple.org/"):
        response = clients["manager"].get(reverse("web:otp_verify"), {"next": bad})
        assert response.status_code == 302 and response.url == "/"
    assert clients["manager"].get(reverse("web:otp_verify"), {"next": "/compte/"}).url == "/compte/"
