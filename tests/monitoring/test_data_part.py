"""The report's data part (issue 12 part 5): the région beside the nation from the monthly aggregates, with the
observers' small-cell suppression; its figures are the regional dashboard's for the same région and year."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from cep.common.errors import RuleViolation
from cep.monitoring import data_part, services
from cep.reporting.indicators import audiences, dashboard_data
from cep.reporting.indicators.refresh import refresh
from tests.reporting.indicators.test_indicators import M, build_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def aggregates(refdata):
    cache.clear()
    people = build_data()
    refresh(full=True)
    return people


def _cells(tables):
    return {t.key: [cells for _, cells, _ in t.combined()] for t in tables}


def test_suivi_the_data_part_equals_the_regional_dashboard(aggregates, analyst):
    exercise = services.open_exercise(actor=analyst, year=M.year)
    part = data_part.data_part(exercise)
    shown = [t for _, _, tables in part.sections for t in tables]
    assert {t.key for t in shown} >= {"age", "sexe", "motifs", "services", "durees", "sorties", "entrees"}
    board = dashboard_data.dashboard(
        audiences.audience_for(analyst), data_part.FRAMEWORK, *dashboard_data.observer_period(M.year)
    )
    expected = _cells(board.tables)
    compared = {key: cells for key, cells in _cells(shown).items() if key != "departements"}
    assert compared == {key: expected[key] for key in compared}
    assert all(t.scope_labels == ["Corse", "France entière"] for t in shown if t.key != "departements")
    figures = [value for t in shown for _, cells, _ in t.combined() for _, status, value in cells if value]
    assert figures, "the data part shows figures"


def test_suivi_no_figure_under_three_is_shown(aggregates, analyst):
    exercise = services.open_exercise(actor=analyst, year=M.year)
    for _, _, tables in data_part.data_part(exercise).sections:
        for table in tables:
            if table.key == "durees" or not table.people:
                continue
            for _, cells, _ in table.combined():
                assert all(value is None or value == 0 or value >= 3 for _, _, value in cells), table.key


def test_suivi_a_year_without_a_complete_month_says_so(analyst):
    exercise = services.open_exercise(actor=analyst, year=2099)
    with pytest.raises(RuleViolation) as refused:
        data_part.data_part(exercise)
    assert "Aucun mois complet de 2099" in refused.value.message


def test_suivi_the_data_page_shows_no_person(client, aggregates, analyst):
    exercise = services.open_exercise(actor=analyst, year=M.year)
    client.force_login(analyst)
    page = client.get(reverse("monitoring:data_part", args=[exercise.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Qui a recours au CEP ?" in text and "France entière" in text
    from cep.beneficiaries.models import Beneficiary

    for last_name in Beneficiary.objects.values_list("last_name", flat=True)[:50]:
        assert f">{last_name}<" not in text and f" {last_name} " not in text


def test_suivi_the_departements_add_up_to_the_region(aggregates, analyst):
    """Where (« où ? »): the région's départements from the aggregates' département column; their sum is the
    région's total of the regional dashboard, level by level."""
    exercise = services.open_exercise(actor=analyst, year=M.year)
    start, end = dashboard_data.observer_period(M.year)
    departments, grid = data_part.department_grid(exercise.region, start, end)
    assert [d.code for d in departments] == ["2A", "2B"]
    board = dashboard_data.dashboard(data_part.audience(exercise.region), data_part.FRAMEWORK, start, end)
    months = next(t for t in board.tables if t.key == "entrees").grids[0]  # the région's months × levels
    region_totals = [sum(row[j] for row in months) for j in range(len(months[0]))]
    assert [sum(row[j] for row in grid) for j in range(len(region_totals))] == region_totals
    assert sum(region_totals) > 0


def test_suivi_the_departements_table_keeps_the_small_cell_rule(aggregates, analyst):
    exercise = services.open_exercise(actor=analyst, year=M.year)
    part = data_part.data_part(exercise)
    table = next(t for key, _, tables in part.sections if key == "ou" for t in tables)
    assert table.key == "departements" and table.scope_labels == ["Corse"]
    rows = [cells for _, cells, _ in table.combined()]
    assert len(rows) == 2  # no total row printed
    for j in range(len(table.columns)):
        column = [rows[i][j] for i in range(len(rows))]
        assert all(value is None or value == 0 or value >= 3 for _, _, value in column)
        hidden = [text for text, _, value in column if value is None]
        # The région's total is known from the « Entrées » table: one hidden cell alone could be found back.
        assert len(hidden) != 1, column


def test_suivi_a_level_whose_regional_total_is_hidden_is_hidden_for_every_departement(aggregates, analyst):
    from cep.monitoring.data_part import departments_table
    from cep.reporting.indicators import suppression

    exercise = services.open_exercise(actor=analyst, year=M.year)
    start, end = dashboard_data.observer_period(M.year)
    board = dashboard_data.dashboard(data_part.audience(exercise.region), data_part.FRAMEWORK, start, end)
    entries = next(t for t in board.tables if t.key == "entrees")
    year_row = len(entries.rows_shown) - 1
    hidden = entries.protected.status[0][year_row]
    hidden[0] = suppression.SECONDARY  # as if the joint protection hid the région's yearly niveau 1
    table = departments_table(exercise.region, start, end, entries=entries)
    assert all(cells[0][2] is None and cells[0][0] == "s" for _, cells, _ in table.combined())
