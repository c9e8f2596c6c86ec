"""Small-cell suppression across every view an observer may request (issue 5: « no observer-visible cell, total
or difference reveals a count under 3 »).

Every allowed year × framework × filter is downloaded as CSV (the text exactly as on the page) and read as a
reader would: each number shown, and every difference between two numbers of nested sets (a région or a
network inside the nation, a network inside a région, 2014 levels inside the 2019 level, the same total in
two tables, a row or column and its total).
"""

import csv
import datetime
import io
import re
from collections import defaultdict
from itertools import combinations

import pytest
from django.core.cache import cache
from django.urls import reverse

from cep.accounts.rights import Role
from cep.common.months import MONTHS_FR
from cep.enrolments.models import Cep
from cep.organisations.models import Region, Structure
from cep.referentials.models import Network
from cep.reporting.indicators import dashboard_data
from cep.reporting.indicators.refresh import refresh
from tests.factories import BeneficiaryFactory, OperatorFactory, StructureFactory, UserFactory
from tests.reporting.indicators.test_indicators import build_data

URL = reverse("reporting:dashboard")
DOWNLOAD = reverse("reporting:dashboard_download")
NATION = "France entière"
NOT_PEOPLE = {"Évolution de l'offre de services CEP"}
DURATIONS = "Durée des parcours terminés (en jours)"
PUBLIC = ["Entrées par niveau et par mois", "Public reçu par tranche d'âge", "Public reçu par sexe",
          "Public reçu par situation professionnelle", "Public reçu par niveau de qualification",
          "Public reçu : reconnaissance de la qualité de travailleur handicapé"]  # fmt: skip
ACCUEIL = {"2019": "Accueil individualisé et adapté au besoin de la personne", "2014": "Accueil individualisé"}
ACCOMPAGNEMENT = "Accompagnement personnalisé"
CONSEIL, MISE = "Conseil personnalisé", "Accompagnement à la mise en œuvre du projet professionnel"


def _small_region():
    """Two people only in Auvergne-Rhône-Alpes, both entering phase 2 in June 2024, with an APEC structure:
    the APEC network (Paris and Lyon) contains the région, and Île-de-France is the APEC network minus them."""
    lyon = StructureFactory(
        name="APEC Lyon",
        operator=OperatorFactory(name="APEC Auvergne-Rhône-Alpes", network_id="apec", region_id="84"),
        department_id="69",
        region_id="84",
    )
    for day in (3, 17):
        person = BeneficiaryFactory(
            structure=lyon,
            sex="F",
            birth_date=datetime.date(1990, 5, 5),
            first_reception_date=datetime.date(2024, 6, 1),
        )
        Cep.objects.create(
            beneficiary=person, structure=lyon, orientation_source_id="ma_structure_entree_directe",
            entry_date=datetime.date(2024, 6, day), entry_phase=2, request_reason_id="reconversion",
            status="phase2", phase2_entry_date=datetime.date(2024, 6, day),
        )  # fmt: skip


@pytest.fixture
def world(refdata):
    cache.clear()
    build_data()
    _small_region()
    refresh(full=True)
    return {
        "regional": UserFactory(username="sec_obs_r", role=Role.REGIONAL_OBSERVER, structure=None, region_id="84"),
        "national": UserFactory(username="sec_obs_n", role=Role.NATIONAL_OBSERVER, structure=None),
    }


def _read(text: str) -> dict:
    """{(table title, scope, row, column): text} from the all-tables CSV."""
    cells, title, header = {}, None, None
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"):
        if not row:
            title = header = None
        elif title is None:
            title = row[0]
        elif header is None:
            header = row
        else:
            for column, value in zip(header[2:], row[2:], strict=True):
                cells[(title, row[0], row[1], column)] = value
    return cells


def _views(client, user) -> list[tuple[dict, dict]]:
    """(parameters, cells) of every view the observer may request: each year × framework × filter."""
    client.force_login(user)
    page = client.get(URL)
    assert page.status_code == 200
    years = [year for year, _ in page.context["form"].fields["annee"].choices]
    filters = [{}]
    if user.role == Role.NATIONAL_OBSERVER:
        filters += [{"region": code} for code in Region.objects.values_list("code", flat=True)]
        filters += [{"reseau": code} for code in Network.objects.values_list("code", flat=True)]
    views = []
    for year in years:
        for framework in ("2019", "2014"):
            for extra in filters:
                params = {"annee": year, "referentiel": framework, **extra}
                response = client.get(DOWNLOAD, {**params, "format": "csv"})
                assert response.status_code == 200, params
                views.append((params, _read(response.content.decode("utf-8"))))
    return views


def _number(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d+", text) else None


def _is_count(title: str, column: str) -> bool:
    return title not in NOT_PEOPLE and (title != DURATIONS or column == "CEP terminés")


def _scope_sets() -> dict[str, set[int]]:
    """The structures behind each scope label (to know which scopes are nested)."""
    sets = defaultdict(set)
    names = dict(Region.objects.values_list("code", "name"))
    networks = {n.code: n.short_label or n.label for n in Network.objects.all()}
    for pk, region, network in Structure.objects.values_list("pk", "region_id", "network_id"):
        sets[NATION].add(pk)
        sets[names[region]].add(pk)
        sets[networks[network]].add(pk)
    return sets


def _check(views) -> int:
    """Every rule; returns how many cells were hidden (the data must exercise the secret)."""
    seen: dict = {}  # (year, framework, title, scope, row, column) → text, across all views
    hidden = 0
    for params, cells in views:
        year, framework = params["annee"], params["referentiel"]
        for (title, scope, row, column), text in cells.items():
            if not _is_count(title, column):
                continue
            key = (year, framework, title, scope, row, column)
            # The same figure reads the same in every view (the nation in each filtered view, above all).
            assert seen.setdefault(key, text) == text, (key, seen[key], text, params)
            value = _number(text)
            assert value is None or value == 0 or value >= 3, (key, text)
            assert value is not None or text in ("< 3", "s"), (key, text)
            hidden += value is None
        _check_lines(cells, params)
    _check_nested(seen)
    _check_shared_and_frameworks(seen)
    _check_stocks_and_flows(seen)
    return hidden


def _check_lines(cells, params):
    """Rows and columns with their total: never one unknown cell, never hidden cells summing to 1 or 2."""
    grids = defaultdict(dict)
    for (title, scope, row, column), text in cells.items():
        if _is_count(title, column):
            grids[(title, scope)][(row, column)] = _number(text)
    for (title, scope), grid in grids.items():
        rows = list(dict.fromkeys(r for r, _ in grid))
        columns = list(dict.fromkeys(c for _, c in grid))
        lines = []
        if "Total" in columns:
            lines += [([grid[(r, c)] for c in columns if c != "Total"], grid[(r, "Total")]) for r in rows]
        if "Total" in rows:
            lines += [([grid[(r, c)] for r in rows if r != "Total"], grid[("Total", c)]) for c in columns]
        for members, total in lines:
            unknown = [v for v in members if v is None] + ([None] if total is None else [])
            assert len(unknown) != 1, (title, scope, members, total, params)
            if total is not None and unknown:
                assert not 0 < total - sum(v for v in members if v is not None) < 3, (title, scope, params)


def _check_nested(seen):
    """Two shown figures of the same position for nested scopes never differ by 1 or 2."""
    sets = _scope_sets()
    by_position = defaultdict(dict)
    for (year, framework, title, scope, row, column), text in seen.items():
        value = _number(text)
        if value is not None:
            by_position[(year, framework, title, row, column)][scope] = value
    pairs = 0
    for position, values in by_position.items():
        for a, b in combinations(values, 2):
            if sets[a] >= sets[b] or sets[b] >= sets[a]:
                pairs += 1
                assert not 0 < abs(values[a] - values[b]) < 3, (position, a, values[a], b, values[b])
    assert pairs, "no nested scopes were compared"


def _check_shared_and_frameworks(seen):
    """The same total in several tables reads the same; the 2019 level is the sum of the 2014 levels 2 and 3,
    so it is never the only unknown of the three, and the 2019 accueil is the 2014 accueil."""
    scopes = {(k[0], k[3]) for k in seen}
    for year, scope in scopes:
        for framework, columns in (
            ("2019", [ACCUEIL["2019"], ACCOMPAGNEMENT]),
            ("2014", [ACCUEIL["2014"], CONSEIL, MISE]),
        ):
            for column in [*columns, "Total"]:
                texts = {seen.get((year, framework, title, scope, "Total", column)) for title in PUBLIC}
                assert len(texts - {None}) <= 1, (year, framework, scope, column, texts)
        rows = {(k[2], k[4]) for k in seen if k[0] == year and k[3] == scope}
        for title, row in rows:
            both = [seen.get((year, "2019", title, scope, row, ACCUEIL["2019"])),
                    seen.get((year, "2014", title, scope, row, ACCUEIL["2014"]))]  # fmt: skip
            if None not in both:
                assert both[0] == both[1], (year, scope, title, row, both)
            parts = [seen.get((year, fw, title, scope, row, col)) for fw, col in
                     (("2019", ACCOMPAGNEMENT), ("2014", CONSEIL), ("2014", MISE))]  # fmt: skip
            if None in parts:
                continue
            unknown = [p for p in parts if _number(p) is None]
            assert len(unknown) != 1, (year, scope, title, row, parts)


@pytest.mark.django_db
def test_national_observer_every_view_reveals_no_count_under_3(client, world):
    views = _views(client, world["national"])
    assert any(p.get("region") == "84" for p, _ in views) and any(p.get("reseau") == "apec" for p, _ in views)
    assert _check(views) > 0
    print(f"{len(views)} views checked")
    # The small région is hidden wherever it is shown: its two June entries, its totals.
    june = {c: t for p, cells in views if p.get("region") == "84" and p["annee"] == 2024 for c, t in cells.items()}
    region, title = "Auvergne-Rhône-Alpes", "Entrées par niveau et par mois"
    entries = [t for (tt, scope, row, _), t in june.items() if (tt, scope, row) == (title, region, "juin 2024")]
    assert entries and "< 3" in entries and not any(_number(t) in (1, 2) for t in entries)


@pytest.mark.django_db
def test_regional_observer_every_view_reveals_no_count_under_3(client, world):
    views = _views(client, world["regional"])
    assert {scope for _, cells in views for (_, scope, _, _) in cells} == {"Auvergne-Rhône-Alpes", NATION}
    assert _check(views) > 0


@pytest.mark.django_db
def test_observer_pages_show_the_same_secret_as_the_downloads(client, world):
    """The page's tables carry the statuses of the year's joint protection (one view checked in the HTML)."""
    client.force_login(world["national"])
    params = {"annee": 2024, "referentiel": "2014", "region": "84"}
    response = client.get(URL, params)
    data = response.context["data"]
    cells = _read(client.get(DOWNLOAD, {**params, "format": "csv"}).content.decode("utf-8"))
    for table in data.tables:
        for label, body in table.layers():
            for row_label, row in body:
                for column, (text, _, _) in zip(table.columns_shown, row, strict=True):
                    assert cells[(table.title, label, row_label, column)] == text
    assert dashboard_data.observer_period(2024) == (data.start, data.end)


STOCK, ENTRIES, MOVES = (
    "CEP en cours en fin de mois",
    "Entrées par niveau et par mois",
    "Passages de la phase 2 à la phase 3",
)


def _check_stocks_and_flows(seen):
    """Stock of the month = stock of the month before + entries − exits (− moves out of phase 2, + into phase 3):
    the exits of a month, never shown, must not be read from three shown figures (January uses the December of
    the year before, read in that year's view)."""
    months = MONTHS_FR
    checked = 0
    for year, framework, title, scope, row, column in list(seen):
        if title != STOCK or row == "Total" or column == "Total":
            continue
        month = months.index(row.split()[0]) + 1
        previous = f"{months[month - 2]} {year}" if month > 1 else f"décembre {year - 1}"
        previous_year = year if month > 1 else year - 1

        def value(y, t, r, c, framework=framework, scope=scope):
            return _number(seen.get((y, framework, t, scope, r, c), "?"))

        now, before = value(year, STOCK, row, column), value(previous_year, STOCK, previous, column)
        if framework == "2019":
            flows = [value(year, ENTRIES, row, ACCOMPAGNEMENT)]
        elif column == CONSEIL:
            moves = value(year, MOVES, row, "Passages en phase 3")
            flows = [value(year, ENTRIES, row, CONSEIL), None if moves is None else -moves]
        else:
            flows = [value(year, ENTRIES, row, MISE), value(year, MOVES, row, "Passages en phase 3")]
        if before is None and month == 1 and (previous_year, framework, STOCK, scope, previous, column) not in seen:
            before = 0  # no view of the year before: nothing in progress before the data begins
        figures = [now, before, *flows]
        if None in figures:
            continue
        checked += 1
        exits = before + sum(flows) - now
        assert not 0 < exits < 3, (year, framework, scope, row, column, figures)
    assert checked
