"""Indicator aggregates (cep/reporting/indicators/refresh.py): equal to counts recomputed from the base tables,
incremental refresh, 2014 / 2019 views, durations, command and background task."""

import datetime
import random
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cep.accounts.rights import Role
from cep.common.dates import add_months, today
from cep.common.months import month_end
from cep.enrolments.models import Cep
from cep.offers.models import Service, ServiceOffer
from cep.referentials import models as ref
from cep.reporting.indicators import audiences, dashboard_data
from cep.reporting.indicators.durations import duration_bucket, percentile
from cep.reporting.indicators.models import (
    CepLedger,
    MonthlyCount,
    MonthlyDuration,
    MonthlyOffers,
    MonthlyStock,
    RefreshState,
)
from cep.reporting.indicators.refresh import refresh
from tests.factories import BeneficiaryFactory, OperatorFactory, StructureFactory, UserFactory

M = datetime.date(2024, 3, 1)  # the month under test
EXIT_CODES = [
    "deces",
    "demenagement",
    "formalisation_projet_realisee",
    "interruption_constatee",
    "interruption_formalisee",
    "plan_action_realise",
    "prise_de_recul_realisee",
]


def _codes(model):
    return list(model.objects.valid_on(M).values_list("code", flat=True))


def build_data(seed=7, people=70):
    """Three structures in two regions and three networks; CEPs entering, moving, ending and deleted around M;
    level-1 services (some people twice in a month), services during CEPs, CEP and non-CEP offers."""
    rng = random.Random(seed)
    s_a = StructureFactory(name="Mission locale d'Ajaccio")
    s_b = StructureFactory(
        name="France Travail Bastia",
        operator=OperatorFactory(name="France Travail Corse", network_id="france_travail"),
        department_id="2B",
    )
    s_c = StructureFactory(
        name="APEC Paris",
        operator=OperatorFactory(name="APEC Île-de-France", network_id="apec", region_id="11"),
        department_id="75",
        region_id="11",
    )
    structures = [s_a, s_b, s_c]
    staff = {s.pk: UserFactory(username=f"cons_{s.pk}", role=Role.COUNSELOR, structure=s) for s in structures}
    theme = ref.ServiceTheme.objects.get(code="formation")
    offers = {}
    for s in structures:
        offers[s.pk] = {
            "l1": ServiceOffer.objects.create(
                structure=s, origin="structure", theme=theme, name="Accueil CEP",
                service_act_id="conseil_recherche_emploi", start_date=datetime.date(2023, 11, 5),
                national_measure="cep",
            ),
            "l1b": ServiceOffer.objects.create(
                structure=s, origin="structure", theme=theme, name="Info formations",
                service_act_id="info_conseil_formations", start_date=M + datetime.timedelta(days=9),
                end_date=datetime.date(2024, 6, 30), national_measure="cep",
            ),
            "bilan": ServiceOffer.objects.create(
                structure=s, origin="structure", theme=theme, name="Bilan", service_act_id="bilan_competences",
                start_date=datetime.date(2023, 1, 1), national_measure="cep",
            ),
            "other": ServiceOffer.objects.create(
                structure=s, origin="autre", theme=theme, name="Formation", service_act_id="formation",
                start_date=datetime.date(2023, 1, 1),
            ),
        }  # fmt: skip
    ServiceOffer.objects.create(
        region_id="94", origin="autre", theme=theme, name="Offre régionale", service_act_id="vae",
        start_date=datetime.date(2024, 2, 10), end_date=datetime.date(2024, 3, 15), national_measure="cep",
    )  # fmt: skip
    statuses = [*_codes(ref.EmploymentStatus), None]
    levels = [*_codes(ref.QualificationLevel), None]
    reasons = _codes(ref.RequestReason)
    projects = [*_codes(ref.ProjectType), None]
    window_start, window_days = add_months(M, -2), 120
    for _ in range(people):
        s = rng.choice(structures)
        person = BeneficiaryFactory(
            structure=s,
            sex=rng.choice("FM"),
            birth_date=datetime.date(rng.randint(1960, 2006), rng.randint(1, 12), rng.randint(1, 28)),
            employment_status_id=rng.choice(statuses),
            qualification_level_id=rng.choice(levels),
            has_rqth=rng.random() < 0.2,
            first_reception_date=datetime.date(2023, 1, 2),
        )
        # Level-1 services, sometimes two in the same month.
        for _ in range(rng.choice([0, 0, 1, 2])):
            on = window_start + datetime.timedelta(days=rng.randrange(window_days))
            offer = offers[s.pk][rng.choice(["l1", "l1", "other"])]
            Service.objects.create(
                beneficiary=person, structure=s, offer=offer, service_act_id=offer.service_act_id,
                is_cep_level1=offer.service_act_id == "conseil_recherche_emploi", proposed_on=on,
                proposed_by=staff[s.pk],
            )  # fmt: skip
        if rng.random() < 0.15:
            continue
        entry = window_start + datetime.timedelta(days=rng.randrange(window_days))
        phase = 2 if rng.random() < 0.7 else 3
        cep = Cep(
            beneficiary=person, structure=s, orientation_source_id="ma_structure_entree_directe",
            entry_date=entry, entry_phase=phase, request_reason_id=rng.choice(reasons),
            project_type_id=rng.choice(projects), status=f"phase{phase}",
            phase2_entry_date=entry if phase == 2 else None, phase3_entry_date=entry if phase == 3 else None,
        )  # fmt: skip
        if phase == 2 and rng.random() < 0.4:
            cep.phase3_entry_date = entry + datetime.timedelta(days=rng.randint(1, 60))
            cep.phase2_end_date = cep.phase3_entry_date - datetime.timedelta(days=1)
            cep.status = "phase3"
        roll = rng.random()
        if roll < 0.45:
            current = 3 if cep.status == "phase3" else 2
            start = cep.phase3_entry_date if current == 3 else entry
            cep.end_date = start + datetime.timedelta(days=rng.choice([0, 3, 20, 45, 80, 130, 400]))
            cep.exit_reason_id = rng.choice(EXIT_CODES)
            cep.ended_in_phase, cep.status = current, "closed"
        elif roll < 0.52:
            cep.status = "deleted"
        cep.save()
        for _ in range(rng.choice([0, 1, 2, 3])):
            on = entry + datetime.timedelta(days=rng.randrange(60))
            if cep.end_date and on > cep.end_date:
                continue
            offer = offers[s.pk][rng.choice(["bilan", "other", "l1"])]
            Service.objects.create(
                beneficiary=person, structure=s, offer=offer, service_act_id=offer.service_act_id,
                is_cep_level1=offer.service_act_id == "conseil_recherche_emploi", proposed_on=on,
                proposed_by=staff[s.pk], cep=cep,
            )  # fmt: skip
    return structures


# ------------------------------------------------------------------ expected values, straight from the models


def _age_band(on, birth):
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for limit, code in ((25, "moins_26"), (35, "26_35"), (45, "36_45"), (55, "46_55")):
        if age <= limit:
            return code
    return "56_plus"


def _public(counter, key, person, on, level):
    counter[(*key, "entries", level, "total")] += 1
    counter[(*key, "age_band", level, _age_band(on, person.birth_date))] += 1
    counter[(*key, "sex", level, person.sex)] += 1
    counter[(*key, "employment_status", level, person.employment_status_id or "non_renseigne")] += 1
    counter[(*key, "qualification_level", level, person.qualification_level_id or "non_renseigne")] += 1
    counter[(*key, "rqth", level, "oui" if person.has_rqth else "non")] += 1


def expected_counts(month):
    first, last = month, month_end(month)
    counter = Counter()
    level1 = {}
    for sv in Service.objects.filter(is_cep_level1=True, proposed_on__range=(first, last)).select_related(
        "beneficiary"
    ):
        key = (sv.structure_id, sv.beneficiary_id)
        level1[key] = min(level1.get(key, (sv.proposed_on, sv)), (sv.proposed_on, sv), key=lambda x: x[0])
    for (structure_id, _), (on, sv) in level1.items():
        _public(counter, (structure_id,), sv.beneficiary, on, 1)
    live = Cep.objects.exclude(status="deleted").select_related("beneficiary")
    for cep in live:
        key = (cep.structure_id,)
        if first <= cep.entry_date <= last:
            _public(counter, key, cep.beneficiary, cep.entry_date, cep.entry_phase)
            counter[(*key, "request_reason", cep.entry_phase, cep.request_reason_id)] += 1
            counter[(*key, "project_type", cep.entry_phase, cep.project_type_id or "non_renseigne")] += 1
        if cep.phase2_entry_date and cep.phase3_entry_date and first <= cep.phase3_entry_date <= last:
            counter[(*key, "phase3_moves", 3, "total")] += 1
        if cep.end_date and first <= cep.end_date <= last:
            counter[(*key, "exits", cep.ended_in_phase, cep.exit_reason_id)] += 1
    for sv in Service.objects.filter(proposed_on__range=(first, last)).select_related("cep"):
        in_cep = sv.cep is not None and sv.cep.status != "deleted"
        if not in_cep and not sv.is_cep_level1:
            continue
        level = 1
        if in_cep:
            level = 3 if sv.cep.phase3_entry_date and sv.proposed_on >= sv.cep.phase3_entry_date else 2
        counter[(sv.structure_id, "services", level, sv.service_act_id)] += 1
    return counter


def stored_counts(month):
    return Counter(
        {(r.structure_id, r.family, r.level, r.code): r.value for r in MonthlyCount.objects.filter(month=month)}
    )


def expected_stock(month):
    last = month_end(month)
    stock = Counter()
    for cep in Cep.objects.exclude(status="deleted").filter(entry_date__lte=last):
        if cep.end_date and cep.end_date <= last:
            continue
        phase = 3 if cep.phase3_entry_date and cep.phase3_entry_date <= last else 2
        stock[(cep.structure_id, phase)] += 1
    return stock


def stored_stock(month):
    stock = Counter()
    for row in MonthlyStock.objects.filter(month=month):
        stock[(row.structure_id, 2)] += row.in_progress_phase2
        stock[(row.structure_id, 3)] += row.in_progress_phase3
    return +stock


def durations_of(month):
    first, last = month, month_end(month)
    out = {0: [], 2: [], 3: []}
    for cep in Cep.objects.filter(status="closed", end_date__range=(first, last)):
        out[0].append((cep.end_date - cep.entry_date).days)
        if cep.phase2_entry_date:
            out[2].append(((cep.phase2_end_date or cep.end_date) - cep.phase2_entry_date).days)
        if cep.ended_in_phase == 3:
            out[3].append((cep.end_date - cep.phase3_entry_date).days)
    return out


def snapshot_tables():
    """Every aggregate row, without ids: two refreshes are compared with this."""
    return {
        "count": sorted(MonthlyCount.objects.values_list("month", "structure_id", "family", "level", "code", "value")),
        "stock": sorted(
            MonthlyStock.objects.values_list(
                "month",
                "structure_id",
                "entries_phase2",
                "entries_phase3",
                "moves_phase3",
                "exits_phase2",
                "exits_phase3",
                "in_progress_phase2",
                "in_progress_phase3",
            )
        ),  # fmt: skip
        "duration": sorted(MonthlyDuration.objects.values_list("month", "structure_id", "phase", "bucket", "value")),
        "offers": sorted(
            MonthlyOffers.objects.values_list("month", "structure_id", "region_id", "active", "new"),
            key=lambda r: (r[0], r[1] or 0, r[2:]),
        ),
    }


@pytest.fixture
def data(refdata):
    return build_data()


# ------------------------------------------------------------------ tests


@pytest.mark.django_db
def test_every_family_equals_the_counts_recomputed_from_the_base_tables(data):
    refresh(full=True)
    for month in (add_months(M, -1), M, add_months(M, 1)):
        expected = expected_counts(month)
        assert sum(expected.values()) > 50, "the factory month must not be trivial"
        assert stored_counts(month) == +expected
        assert stored_stock(month) == +expected_stock(month)
    families = {key[1] for key in expected_counts(M)}
    assert families == {
        "entries", "age_band", "sex", "employment_status", "qualification_level", "rqth", "request_reason",
        "project_type", "phase3_moves", "services", "exits",
    }  # fmt: skip
    # Located rows: the structure's operator, network, région and département are copied.
    row = MonthlyCount.objects.filter(month=M, structure_id=data[2].pk).first()
    assert (row.network_id, row.region_id, row.department_id) == ("apec", "11", "75")
    assert row.operator_id == data[2].operator_id


@pytest.mark.django_db
def test_duration_histograms_and_quartiles(data):
    refresh(full=True)
    durations = durations_of(M)
    assert durations[0] and durations[2] and durations[3]
    for phase, days in durations.items():
        hist = Counter()
        for d in days:
            hist[duration_bucket(d)] += 1
        stored = Counter()
        for r in MonthlyDuration.objects.filter(month=M, phase=phase):
            stored[r.bucket] += r.value
        assert stored == hist
    # Quartiles from the histogram equal PostgreSQL's percentile_cont on the raw durations when all are < 92 days,
    # and stay within the bucket width otherwise.
    short = [d for d in durations[0] if d < 92]
    hist = sorted(Counter(short).items())
    with connection.cursor() as cur:
        for p in (0.25, 0.5, 0.75):
            cur.execute("SELECT percentile_cont(%s) WITHIN GROUP (ORDER BY d) FROM unnest(%s::int[]) d", [p, short])
            assert percentile(hist, p) == pytest.approx(cur.fetchone()[0])
            cur.execute(
                "SELECT percentile_cont(%s) WITHIN GROUP (ORDER BY d) FROM unnest(%s::int[]) d", [p, durations[0]]
            )
            exact = cur.fetchone()[0]
            approx = percentile(sorted(Counter(map(duration_bucket, durations[0])).items()), p)
            assert abs(approx - exact) <= 30


@pytest.mark.django_db
def test_offers_evolution(data):
    refresh(full=True)
    by_month = Counter()
    for row in MonthlyOffers.objects.all():
        by_month[row.month] += row.active
    # 3 structures × (accueil since Nov 2023 + bilan since 2023) = 6; + « Info formations » from 10 March to June
    # 2024 in each structure; + the regional offer in February and March 2024.
    assert by_month[datetime.date(2024, 1, 1)] == 6
    assert by_month[datetime.date(2024, 2, 1)] == 7
    assert by_month[M] == 10
    assert by_month[datetime.date(2024, 7, 1)] == 6
    assert MonthlyOffers.objects.filter(month=M, structure_id__isnull=True, region_id="94").get().active == 1
    assert sum(r.new for r in MonthlyOffers.objects.filter(month=M)) == 3


def _touch(cep, **changes):
    for name, value in changes.items():
        setattr(cep, name, value)
    cep.save()


@pytest.mark.django_db
def test_incremental_refresh_recomputes_only_the_months_touched_and_equals_a_full_rebuild(data):
    refresh(full=True)
    state = RefreshState.objects.get(pk=1)
    assert state.watermark is not None and state.version == 1
    assert refresh() == []  # nothing changed

    # Close an open phase-2 CEP of January with an exit in May (no services, so nothing else moves).
    cep = Cep.objects.filter(status="phase2", entry_date__month=1, services__isnull=True).first()
    _touch(cep, status="closed", end_date=datetime.date(2024, 5, 6), exit_reason_id="demenagement", ended_in_phase=2)
    assert refresh() == [cep.entry_date.replace(day=1), datetime.date(2024, 5, 1)]
    incremental = snapshot_tables()
    refresh(full=True)
    assert snapshot_tables() == incremental

    # Reopen it: the old exit month (May) is recomputed although the CEP no longer carries its date.
    _touch(cep, status="phase2", end_date=None, exit_reason_id=None, ended_in_phase=None)
    assert datetime.date(2024, 5, 1) in refresh()
    incremental = snapshot_tables()
    refresh(full=True)
    assert snapshot_tables() == incremental


@pytest.mark.django_db
def test_incremental_refresh_follows_cancelled_phase3_deletion_services_and_dossiers(data):
    refresh(full=True)
    moved = Cep.objects.filter(status="phase3", phase2_entry_date__isnull=False).first()
    _touch(moved, status="phase2", phase3_entry_date=None, phase2_end_date=None)
    deleted = Cep.objects.filter(status="closed", services__isnull=False).exclude(pk=moved.pk).first()
    service_months = {sv.proposed_on.replace(day=1) for sv in deleted.services.all()}
    _touch(deleted, status="deleted")
    person = Cep.objects.exclude(status="deleted").exclude(pk__in=[moved.pk, deleted.pk]).first().beneficiary
    person.has_rqth = not person.has_rqth
    person.save()
    done = set(refresh())
    assert service_months <= done
    assert person.ceps.first().entry_date.replace(day=1) in done
    incremental = snapshot_tables()
    refresh(full=True)
    assert snapshot_tables() == incremental
    assert CepLedger.objects.get(cep_id=deleted.pk).counted is False


@pytest.mark.django_db
def test_single_month_refresh_keeps_the_watermark(data):
    refresh(full=True)
    watermark = RefreshState.objects.get(pk=1).watermark
    MonthlyCount.objects.filter(month=M).delete()
    assert refresh(months=[M]) == [M]
    assert stored_counts(M) == +expected_counts(M)
    assert RefreshState.objects.get(pk=1).watermark == watermark


@pytest.mark.django_db
def test_2014_and_2019_views_agree_on_totals(data, django_user_model):
    refresh(full=True)
    admin = UserFactory(username="admin_ind", role=Role.ADMIN, structure=None)
    audience = audiences.audience_for(admin)
    start, end = add_months(M, -2), add_months(M, 1)
    views = {code: {t.key: t for t in dashboard_data.build(audience, code, start, end)} for code in ("2019", "2014")}
    for key, table in views["2019"].items():
        if key in ("durees", "offres", "en_cours"):
            continue
        other = views["2014"][key]
        assert table.protected is None and other.protected is None
        total_2019 = sum(map(sum, table.grids[0]))
        total_2014 = sum(map(sum, other.grids[0]))
        assert total_2019 == total_2014, key
    # CEPs in progress: the 2019 column is the sum of the two 2014 phases, month by month.
    for row19, row14 in zip(views["2019"]["en_cours"].grids[0], views["2014"]["en_cours"].grids[0], strict=True):
        assert row19 == [sum(row14)]
    entries = views["2019"]["entrees"].grids[0]
    assert (
        sum(r[1] for r in entries)
        == Cep.objects.exclude(status="deleted").filter(entry_date__range=(start, month_end(end))).count()
    )


@pytest.mark.django_db
def test_command_refreshes_a_month_everything_or_what_changed(data, capsys):
    call_command("refresh_indicators", "--all", "--no-progress")
    assert "mois recalculé" in capsys.readouterr().out
    call_command("refresh_indicators", "--month", "2024-03")
    assert "1 mois recalculé(s) (2024-03)" in capsys.readouterr().out
    call_command("refresh_indicators")
    assert "aucun mois à recalculer" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Mois invalide"):
        call_command("refresh_indicators", "--month", "mars")


@pytest.mark.django_db
def test_background_task_refreshes_and_bumps_the_version(data):
    from cep.reporting.indicators.tasks import enqueue_refresh

    result = enqueue_refresh()  # the test settings run tasks immediately
    state = RefreshState.objects.get(pk=1)
    assert result.return_value["months"][0] <= "2024-01"
    assert state.state == RefreshState.State.IDLE and state.version == 1 and state.months_done == state.months_total
    assert MonthlyCount.objects.filter(month=M).exists()


@pytest.mark.django_db
def test_refresh_up_to_today_fills_stock_rows(data):
    refresh(full=True)
    current = today().replace(day=1)
    assert MonthlyStock.objects.filter(month=current).count() == 3
    assert stored_stock(current) == +expected_stock(current)
    # A new month begins and nothing changed: its rows are filled and their stock cumulated.
    MonthlyStock.objects.filter(month=current).delete()
    assert refresh() == []
    assert MonthlyStock.objects.filter(month=current).count() == 3
    assert stored_stock(current) == +expected_stock(current)
