"""Indicator dashboards: who sees what, small-cell suppression in pages and downloads, query counts, refresh."""

import csv
import datetime
import io
from collections import Counter

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from cep.accounts.rights import Role
from cep.common import months
from cep.common.errors import RuleViolation
from cep.organisations.models import Region
from cep.referentials.models import Network
from cep.reporting.indicators import audiences, dashboard_data, frameworks
from cep.reporting.indicators.models import MonthlyCount, RefreshState
from cep.reporting.indicators.raw import fetch
from cep.reporting.indicators.refresh import refresh
from cep.reporting.indicators.suppression import OK
from tests.factories import UserFactory
from tests.reporting.indicators.test_indicators import M, build_data
from tests.reporting.indicators.test_suppression import assert_safe

PERIOD = {"debut": "2024-01", "fin": "2024-04"}  # structure managers and administrators: free month ranges
YEAR = {"annee": "2024"}  # observers: one calendar year at a time
URL = reverse("reporting:dashboard")
DOWNLOAD = reverse("reporting:dashboard_download")


@pytest.fixture
def world(refdata):
    cache.clear()
    structures = build_data()
    refresh(full=True)
    users = {
        "counselor": UserFactory(username="ind_cons", role=Role.COUNSELOR, structure=structures[0]),
        "manager": UserFactory(username="ind_resp", role=Role.MANAGER, structure=structures[0]),
        "regional": UserFactory(username="ind_obs_r", role=Role.REGIONAL_OBSERVER, structure=None, region_id="94"),
        "national": UserFactory(username="ind_obs_n", role=Role.NATIONAL_OBSERVER, structure=None),
        "admin": UserFactory(username="ind_admin", role=Role.ADMIN, structure=None),
    }
    return structures, users


def _csv(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def _sum(year=False, **filters):
    end = "2024-12-01" if year else "2024-04-01"
    return sum(
        MonthlyCount.objects.filter(month__gte="2024-01-01", month__lte=end, **filters).values_list("value", flat=True)
    )


@pytest.mark.django_db
def test_counselors_are_refused_and_anonymous_users_sent_to_sign_in(client, world):
    _, users = world
    assert client.get(URL).status_code == 302
    client.force_login(users["counselor"])
    for url in (URL, DOWNLOAD, reverse("reporting:dashboard_refresh")):
        assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_manager_sees_their_structure_without_suppression(client, world):
    structures, users = world
    client.force_login(users["manager"])
    response = client.get(URL, PERIOD)
    assert response.status_code == 200
    data = response.context["data"]
    assert [s.structure_id for s in data.audience.scopes] == [structures[0].pk]
    entries = data.table("entrees")
    expected = _sum(structure_id=structures[0].pk, family="entries")
    assert sum(map(sum, entries.grids[0])) == expected
    assert structures[1].name not in response.content.decode()
    # No « < 3 » for their own structure: they see the people anyway.
    assert all(s == OK for t in data.tables if t.protected for layer in t.protected.status for r in layer for s in r)


@pytest.mark.django_db
def test_regional_observer_sees_their_region_beside_the_nation_never_another_region(client, world):
    structures, users = world
    client.force_login(users["regional"])
    response = client.get(URL, {**YEAR, "region": "11"})  # a filter they may not use is ignored
    assert response.status_code == 200
    data = response.context["data"]
    assert [(s.region_id, s.label) for s in data.audience.scopes] == [("94", "Corse"), (None, "France entière")]
    entries = data.table("entrees")
    # Raw figures: layer 0 = Corse only, layer 1 = nation; Île-de-France appears only inside the national total.
    assert sum(map(sum, entries.grids[0])) == _sum(region_id="94", family="entries", year=True)
    assert sum(map(sum, entries.grids[1])) == _sum(family="entries", year=True)
    body = response.content.decode()
    assert "Île-de-France" not in body and structures[2].name not in body and structures[0].name not in body
    rows = _csv(client.get(DOWNLOAD, {**YEAR, "format": "csv", "region": "11"}))
    scopes = {row[0] for row in rows[1:] if len(row) > 2 and row[0] != "Périmètre"}
    assert scopes == {"Corse", "France entière"}


@pytest.mark.django_db
def test_observers_never_read_a_count_under_3_in_pages_or_downloads(client, world):
    _, users = world
    for role in ("regional", "national"):
        client.force_login(users[role])
        for framework in ("2019", "2014"):
            response = client.get(URL, {**YEAR, "referentiel": framework})
            data = response.context["data"]
            data.audience_labels = [scope.label for scope in data.audience.scopes]
            hidden = 0
            for table in data.tables:
                if not table.people:
                    continue
                p = table.protected
                m, n = len(table.rows), len(table.columns)
                if table.key != "durees":
                    assert_safe(p, m, n, table.row_totals, table.col_totals, data.audience.linked)
                hidden += sum(s != OK for layer in p.status for r in layer for s in r)
            assert hidden, "the factory data has small cells: some must be hidden"
            people = [t.key for t in data.tables if t.people]
            for key in people:
                rows = _csv(client.get(DOWNLOAD, {**YEAR, "referentiel": framework, "format": "csv", "tableau": key}))
                counts = [r[2:3] if key == "durees" else r[2:] for r in rows[1:]]  # durations: days after the count
                values = [v for r in counts for v in r if v.isdigit()]
                assert all(int(v) == 0 or int(v) >= 3 for v in values), key
            book = load_workbook(io.BytesIO(client.get(DOWNLOAD, {**YEAR, "referentiel": framework}).content))
            for key in people:
                rows = list(book[key].iter_rows(min_row=4, values_only=True))
                counts = [r[2:3] if key == "durees" else r[2:] for r in rows if r and r[0] in data.audience_labels]
                values = [v for r in counts for v in r if isinstance(v, int)]
                assert all(v == 0 or v >= 3 for v in values), key
                assert all(isinstance(v, int) or v in ("< 3", "s", "–") for r in counts for v in r if v is not None)


@pytest.mark.django_db
def test_national_observer_filters_by_region_or_network_beside_the_nation(client, world):
    structures, users = world
    client.force_login(users["national"])
    scope, nation = client.get(URL, {**YEAR, "region": "94"}).context["data"].audience.scopes
    assert (scope.region_id, scope.network_id, scope.label) == ("94", None, "Corse")
    assert (nation.region_id, nation.network_id, nation.label) == (None, None, "France entière")
    scope, nation = client.get(URL, {**YEAR, "reseau": "france_travail"}).context["data"].audience.scopes
    assert (scope.region_id, scope.network_id) == (None, "france_travail")
    assert (nation.region_id, nation.network_id) == (None, None)  # the network beside the whole nation
    raw = fetch(scope, M.replace(month=1), M.replace(month=12))
    assert sum(n for k, n in raw.counts.items() if k[1] == "entries") == _sum(
        structure_id=structures[1].pk, family="entries", year=True
    )


@pytest.mark.django_db
def test_national_observer_may_not_cross_a_region_with_a_network(client, world):
    _, users = world
    client.force_login(users["national"])
    response = client.get(URL, {**YEAR, "region": "94", "reseau": "france_travail"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choisissez une région ou un réseau, pas les deux à la fois." in body
    assert [(s.region_id, s.network_id) for s in response.context["data"].audience.scopes] == [(None, None)]
    download = client.get(DOWNLOAD, {**YEAR, "region": "94", "reseau": "france_travail", "format": "csv"})
    assert download.status_code == 400 and "pas les deux à la fois" in download.content.decode()
    corse, network = Region.objects.get(pk="94"), Network.objects.get(pk="france_travail")
    with pytest.raises(RuleViolation):
        audiences.audience_for(users["national"], region=corse, network=network)
    # The administrator keeps the crossing (exact figures, no secret).
    admin = audiences.audience_for(users["admin"], region=corse, network=network)
    assert (admin.scopes[0].region_id, admin.scopes[0].network_id, admin.suppress) == ("94", "france_travail", False)


@pytest.mark.django_db
def test_observers_read_one_calendar_year_and_never_a_month_range(client, world):
    _, users = world
    for role in ("regional", "national"):
        client.force_login(users[role])
        response = client.get(URL, {"debut": "2024-03", "fin": "2024-03"})
        assert response.status_code == 200
        assert "les paramètres debut et fin ne sont pas acceptés" in response.content.decode()
        data = response.context["data"]
        assert data.start.month == 1 and data.start.year == data.end.year  # a whole year, not March
        download = client.get(DOWNLOAD, {"debut": "2024-03", "fin": "2024-03", "format": "csv"})
        assert download.status_code == 400 and "debut et fin ne sont pas acceptés" in download.content.decode()
        assert "debut et fin" not in client.get(URL, {"referentiel": "2014"}).content.decode()
        refused = client.get(URL, {"referentiel": "2014", "debut": "2024-03"}).content.decode()  # after the same form
        assert "les paramètres debut et fin ne sont pas acceptés" in refused
        for bad in ("1999", "deux mille"):
            response = client.get(URL, {"annee": bad, "referentiel": "2014"})
            assert response.status_code == 200
            assert "Année non disponible" in response.content.decode()
        response = client.get(URL, YEAR)
        data = response.context["data"]
        assert (data.start, data.end) == (datetime.date(2024, 1, 1), datetime.date(2024, 12, 1))
        body = response.content.decode()
        assert "année 2024" in body and 'name="debut"' not in body and 'name="annee"' in body
        assert (2024, "2024") in response.context["form"].fields["annee"].choices
        with pytest.raises(RuleViolation):  # the domain refuses a month range for observers too
            dashboard_data.dashboard(data.audience, "2019", datetime.date(2024, 1, 1), datetime.date(2024, 3, 1))
    current = months.last_complete_month()
    assert dashboard_data.observer_period(current.year) == (current.replace(month=1), current)  # year to date


@pytest.mark.django_db
def test_bad_filters_show_a_french_error_and_the_defaults(client, world):
    _, users = world
    client.force_login(users["admin"])
    response = client.get(URL, {"debut": "2024-13", "fin": "demain", "referentiel": "1999"})
    assert response.status_code == 200
    assert "Filtres incorrects" in response.content.decode()
    assert response.context["data"].framework.code == "2019"
    response = client.get(URL, {"debut": "2024-05", "fin": "2024-01"})
    assert "Le mois de fin doit suivre le mois de début." in response.content.decode()
    assert client.get(DOWNLOAD, {**PERIOD, "tableau": "inconnu", "format": "csv"}).status_code == 404
    # A file cannot show its errors: a download with filters in error is refused, in French.
    for bad in ({"debut": "0001-01", "fin": "0001-02"}, {"debut": "10000-01"}, {"fin": "2024-٣"}, {"debut": "²"}):
        refused = client.get(DOWNLOAD, {**bad, "format": "csv"})
        assert refused.status_code == 400 and refused.content.decode().startswith("Filtres incorrects : Mois invalide")
        assert "Mois invalide" in client.get(URL, bad).content.decode()


@pytest.mark.django_db
def test_downloads_carry_the_table_as_shown(client, world):
    _, users = world
    client.force_login(users["manager"])
    rows = _csv(client.get(DOWNLOAD, {**PERIOD, "tableau": "sexe", "format": "csv", "referentiel": "2014"}))
    assert rows[0] == [
        "Périmètre", "Sexe", "Accueil individualisé", "Conseil personnalisé",
        "Accompagnement à la mise en œuvre du projet professionnel", "Total",
    ]  # fmt: skip
    assert [r[1] for r in rows[1:]] == ["Femme", "Homme", "Total"]
    book = load_workbook(io.BytesIO(client.get(DOWNLOAD, {**PERIOD, "format": "xlsx"}).content))
    assert "entrees" in book.sheetnames and "durees" in book.sheetnames and "offres" in book.sheetnames


@pytest.mark.django_db
# warm: the session, the user with its structure or région, the refresh state; nothing else until the next refresh
# (sections and filters cached) and no session write within a minute of the previous one.
# Each count includes the second factor's device, read on every request of staff with management rights
# (django-otp's OTPMiddleware): one query.
@pytest.mark.parametrize("role, cold, warm", [("manager", 13, 4), ("regional", 20, 4), ("national", 18, 4)])
def test_dashboard_query_count_is_pinned(client, world, django_assert_max_num_queries, role, cold, warm):
    _, users = world
    client.force_login(users[role])
    cache.clear()
    frameworks._LABELS["data"] = None
    params = PERIOD if role == "manager" else YEAR
    with django_assert_max_num_queries(cold):
        assert client.get(URL, params).status_code == 200
    with django_assert_max_num_queries(warm):  # cached until the next refresh
        assert client.get(URL, params).status_code == 200


@pytest.mark.django_db
def test_refresh_from_the_page(client, world):
    _, users = world
    client.force_login(users["manager"])
    assert client.post(reverse("reporting:dashboard_refresh")).status_code == 403
    client.force_login(users["national"])
    version = RefreshState.objects.get(pk=1).version
    response = client.post(reverse("reporting:dashboard_refresh"), {"query": "referentiel=2014"})
    assert response.status_code == 302 and response.url.endswith("?referentiel=2014")
    assert RefreshState.objects.get(pk=1).version == version + 1  # the test settings run tasks at once
    fragment = client.get(reverse("reporting:dashboard_refresh")).content.decode()
    assert "Indicateurs actualisés le" in fragment and "hx-get" not in fragment
    RefreshState.objects.filter(pk=1).update(state="running", months_total=10, months_done=4)
    fragment = client.get(reverse("reporting:dashboard_refresh")).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and 'value="40"' in fragment


@pytest.mark.django_db
def test_dashboard_totals_equal_the_counts_recomputed_from_the_export_files(client, world):
    """For a month, entries, services and exits of the dashboard (levels 2 and 3) = lines of the monthly files."""
    from cep.reporting.exports.batches import request_export
    from cep.reporting.exports.contract import get_version
    from cep.reporting.exports.files import stream_file
    from cep.reporting.exports.models import BatchStatus, JobState

    structures, _ = world
    seen = Counter()
    month = {"debut": "2024-03", "fin": "2024-03", "referentiel": "2019", "format": "csv"}
    for structure in structures:
        manager = UserFactory(username=f"resp_ind_{structure.pk}", role=Role.MANAGER, structure=structure)
        batch = request_export(actor=manager, month=M, structure=structure)
        batch.refresh_from_db()
        # Some factory dossiers lack a qualification level (required by the contract): the batch is generated
        # with its validation report, every line is there.
        assert batch.job_state == JobState.DONE and batch.status in (BatchStatus.GENERATED, BatchStatus.VALIDATED)
        version = get_version(batch.contract_version)
        lines = {}
        for resource in ("entrees", "services", "sorties"):
            text = b"".join(stream_file(batch.pk, version.resources[resource])).decode()
            body = text.splitlines()[1:]
            assert all(line.split(";")[1] == "creation" for line in body)
            lines[resource] = len(body)
        client.force_login(manager)

        def total(key, column="Accompagnement personnalisé"):
            rows = _csv(client.get(DOWNLOAD, {**month, "tableau": key}))
            header, last = rows[0], rows[-1]
            assert last[1] == "Total"
            return int(last[header.index(column) if column in header else -1])

        assert lines["entrees"] == total("entrees") > 0
        assert lines["services"] == total("services")
        assert lines["sorties"] == total("sorties")
        seen.update(lines)
    assert seen["services"] > 0 and seen["sorties"] > 0


@pytest.mark.django_db
def test_the_year_in_progress_is_labelled_year_to_date_up_to_its_last_complete_month(client, world, monkeypatch):
    from cep.common import dates
    from web.reporting.dashboard_forms import year_label

    monkeypatch.setattr(dates, "today", lambda: datetime.date(2024, 4, 15))
    assert dashboard_data.observer_period(2024) == (datetime.date(2024, 1, 1), datetime.date(2024, 3, 1))
    assert dashboard_data.observer_period(2023) == (datetime.date(2023, 1, 1), datetime.date(2023, 12, 1))
    assert year_label(2024) == "2024 (cumul de janvier à mars)" and year_label(2023) == "2023"
    cache.clear()
    client.force_login(world[1]["regional"])
    response = client.get(URL, YEAR)
    assert "année 2024 (année en cours : cumul de janvier à mars 2024)" in " ".join(response.content.decode().split())
    assert response.context["data"].end == datetime.date(2024, 3, 1)  # April is not complete: not shown
    monkeypatch.setattr(dates, "today", lambda: datetime.date(2025, 1, 10))
    assert year_label(2024) == "2024" and dashboard_data.observer_period(2024)[1] == datetime.date(2024, 12, 1)


@pytest.mark.django_db
def test_downloads_neutralise_formulas_in_labels_and_keep_counts_as_numbers(client, world, request):
    """A structure name (the scope label) or a referential label starting with =, +, -, @ leaves as quoted text;
    XLSX cells are never formulas and counts stay numbers."""
    from cep.referentials.models import RequestReason

    structures, users = world
    structures[0].name = '=HYPERLINK("http://x";"clic")'
    structures[0].save(update_fields=["name"])
    RequestReason.objects.filter(code="reconversion").update(label="@SUM(1+1)")
    frameworks._LABELS["data"] = None
    request.addfinalizer(lambda: frameworks._LABELS.update(data=None))  # the label cache outlives the test
    cache.clear()
    client.force_login(users["manager"])
    query = {**PERIOD, "tableau": "motifs", "referentiel": "2019"}
    rows = _csv(client.get(DOWNLOAD, {**query, "format": "csv"}))
    assert {row[0] for row in rows[1:]} == {"'" + structures[0].name}
    assert "'@SUM(1+1)" in {row[1] for row in rows}
    book = load_workbook(io.BytesIO(client.get(DOWNLOAD, {**query, "format": "xlsx"}).content))
    cells = [cell for row in book["motifs"].iter_rows() for cell in row if cell.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert {c.value for c in cells if c.data_type == "s"} >= {"'" + structures[0].name, "'@SUM(1+1)"}
    assert [c for c in cells if c.data_type == "n"]  # the counts
