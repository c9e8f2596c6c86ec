"""The demo generator: every rule holds in the database, every state is present, same seed ⇒ same data."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from cep.accounts.models import ApiToken, User
from cep.beneficiaries.models import Beneficiary
from cep.common.dates import add_months
from cep.demo import checks
from cep.demo.accounts import ACCOUNTS, DEMO_PASSWORD
from cep.demo.population import TABLES
from cep.enrolments.models import Cep
from cep.events.models import Event
from cep.referentials.models import ExitReason

pytestmark = pytest.mark.django_db

N = 300

DIGEST_SQL = """
SELECT md5(string_agg(line, '|' ORDER BY line)) FROM (
    SELECT concat_ws(';', 'B', b.person_key, b.last_name, b.first_name, b.birth_name, b.sex, b.birth_date, b.email,
        b.phone, b.commune_id, b.employment_status_id, b.qualification_level_id, b.has_rqth, b.first_reception_date,
        b.status, s.name, u.username) AS line
    FROM beneficiaries_beneficiary b JOIN organisations_structure s ON s.id = b.structure_id
    LEFT JOIN accounts_user u ON u.id = b.referent_id
    UNION ALL
    SELECT concat_ws(';', 'C', b.person_key, c.status, c.orientation_source_id, c.initial_interview_date,
        c.entry_date, c.entry_phase, c.request_reason_id, c.project_type_id, c.phase2_entry_date,
        c.phase2_end_date, c.phase3_entry_date, c.end_date, c.exit_reason_id, c.ended_in_phase, c.auto_closed,
        c.last_manifestation_date)
    FROM enrolments_cep c JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id
    UNION ALL
    SELECT concat_ws(';', 'E', b.person_key, e.date, e.primary_context_id, e.secondary_context_id,
        e.tertiary_context_id, e.direction_id, e.nature_id, e.place_id, e.function_id, u.username, e.comment,
        e.walk_in, e.delivery_mode, e.group_mode, e.is_system)
    FROM events_event e JOIN beneficiaries_beneficiary b ON b.id = e.beneficiary_id
    JOIN accounts_user u ON u.id = e.intervener_id
    UNION ALL
    SELECT concat_ws(';', 'S', b.person_key, o.name, s.proposed_on, s.is_cep_level1, s.cep_id IS NOT NULL)
    FROM offers_service s JOIN beneficiaries_beneficiary b ON b.id = s.beneficiary_id
    JOIN offers_serviceoffer o ON o.id = s.offer_id
    UNION ALL
    SELECT concat_ws(';', 'A', b.person_key, a.action,
        -- today's stamps are capped at the instant of the run (no row changes in the future)
        CASE WHEN a.at < CURRENT_DATE THEN a.at::text ELSE 'today' END, a.actor_label, a.after ->> 'status')
    FROM audit_auditentry a JOIN beneficiaries_beneficiary b ON b.id = a.beneficiary_id
) lines
"""


def generate(day, n=N, seed=42, **options):
    out = io.StringIO()
    call_command(
        "generate_demo",
        beneficiaries=n,
        seed=seed,
        today=day.isoformat(),
        no_progress=True,
        stdout=out,
        **options,
    )
    return out.getvalue()


def digest() -> str:
    with connection.cursor() as cursor:
        cursor.execute(DIGEST_SQL)
        return cursor.fetchone()[0]


def wipe():
    """TRUNCATE (the audit table refuses DELETE): the generated rows only, structures and staff stay; CASCADE
    empties the tables that point at them and the generator does not fill (rendez-vous, action plans, issued
    documents)."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")


@pytest.fixture
def population(refdata, today):
    generate(today)


def test_every_rule_holds_in_the_database(population):
    broken = {name: count for name, count in checks.violations().items() if count}
    assert broken == {}


def test_every_state_exit_reason_and_network_is_present(population):
    seen = checks.coverage()
    assert seen["beneficiaries"] == N
    assert seen["networks"] == 5
    assert seen["regions"] >= 4
    for state in ("phase2", "phase3", "phase3_moved", "phase3_direct", "closed", "auto_closed", "deleted"):
        assert seen[state] > 0, state
    assert seen["reopened"] > 0 and seen["successive"] > 0 and seen["about_to_close"] > 0
    assert seen["exit_reasons"] == ExitReason.objects.filter(valid_to__isnull=True).count() == 7
    assert seen["open_audit"] == Cep.objects.count()
    assert seen["level1_services"] > 0 and seen["cep_services"] > 0
    assert seen["remote_events"] > 0 and seen["collective_events"] > 0 and seen["cep_events"] > 0
    assert seen["not_manifestations"] > 0  # R9: unanswered reminders and partner exchanges, not counted
    assert 6.0 <= seen["events"] / N <= 8.0
    assert seen["justified"] / N > 0.9
    assert 0.01 <= seen["rqth"] / N <= 0.10


def test_closed_ceps_carry_their_exit_and_auto_exits_their_date(population):
    plan = Cep.objects.filter(exit_reason_id="plan_action_realise")
    assert plan.exists() and not plan.filter(project_type__isnull=True).exists()
    auto = Cep.objects.filter(auto_closed=True).first()
    assert auto.exit_reason_id == "interruption_constatee"
    assert auto.end_date == add_months(auto.last_manifestation_date, 6)
    moved = Cep.objects.filter(status="phase3", phase2_entry_date__isnull=False).first()
    assert moved.phase2_end_date == moved.phase3_entry_date - datetime.timedelta(days=1)
    deleted = Cep.objects.filter(status="deleted").first()
    assert Event.objects.filter(
        beneficiary_id=deleted.beneficiary_id, is_system=True, nature_id="suppression_dispositif"
    ).exists()


def test_mission_locale_public_is_16_to_25(population, today):
    ml = Beneficiary.objects.filter(structure__network_id="ml")
    assert ml.exists()
    for b in ml:
        assert add_months(b.birth_date, 16 * 12) <= b.first_reception_date
        assert today < add_months(b.birth_date, 26 * 12)


def test_generated_rows_pass_the_services_rules(population, today):
    """A generated CEP behaves like one made by the services: it can be closed through close_cep."""
    from cep.enrolments.services import close_cep

    cep = Cep.objects.filter(status="phase2").select_related("structure").first()
    actor = User.objects.filter(structure=cep.structure, role="counselor").first()
    closed = close_cep(
        cep=cep, actor=actor, end_date=today, exit_reason=ExitReason.objects.get(code="interruption_formalisee")
    )
    assert closed.status == "closed"


def test_no_row_is_stamped_after_the_run(population):
    """Rows of the current day are stamped no later than now: the next indicator refresh sees no change."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT max(updated_at) FROM beneficiaries_beneficiary),
                      (SELECT max(updated_at) FROM events_event),
                      (SELECT max(updated_at) FROM enrolments_cep),
                      (SELECT max(at) FROM audit_auditentry), clock_timestamp()"""
        )
        *stamps, now = cursor.fetchone()
    assert all(stamp <= now for stamp in stamps)


def test_same_seed_same_data_other_seed_other_data(refdata, today):
    generate(today)
    first = digest()
    wipe()
    generate(today, batch=128)  # another batching: the data depends on the seed only
    assert digest() == first
    wipe()
    generate(today, seed=7)
    assert digest() != first


def test_if_empty_is_idempotent(refdata, today):
    generate(today, n=50)
    before = (Beneficiary.objects.count(), Event.objects.count(), Cep.objects.count())
    message = generate(today, n=50, if_empty=True)
    assert "aucune donnée" in message
    assert (Beneficiary.objects.count(), Event.objects.count(), Cep.objects.count()) == before == (50, *before[1:])


def test_without_if_empty_a_second_run_adds_people_and_reuses_the_structures(refdata, today):
    generate(today, n=40)
    structures = set(Beneficiary.objects.values_list("structure__name", flat=True).distinct())
    users = User.objects.count()
    generate(today, n=40)
    assert Beneficiary.objects.count() == 80
    assert User.objects.count() == users
    assert not {name for name, n in checks.violations().items() if n}
    assert structures


def test_demo_accounts_can_sign_in_and_call_the_api(population, client):
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    text = out.getvalue()
    for account in ACCOUNTS:
        assert account.username in text
        user = User.objects.get(username=account.username)
        assert user.check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in text and 'curl -H "Authorization: Bearer demo-conseiller-ml' in text
    call_command("demo_accounts", stdout=io.StringIO())  # idempotent: no duplicate token
    assert ApiToken.objects.filter(user__username="conseiller.ml").count() == 1
    counselor = User.objects.get(username="conseiller.ml")
    assert Beneficiary.objects.filter(referent=counselor).exists()
    observer = User.objects.get(username="observateur.ara")
    assert observer.region_id == "84" and observer.region.structures.exists()
    key = next(a.api_key for a in ACCOUNTS if a.username == "conseiller.ml")
    response = client.get("/api/v1/beneficiaries?limit=5", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert items and all(b["structure_id"] == counselor.structure_id for b in items if "structure_id" in b)
    assert client.login(username="conseiller.ml", password=DEMO_PASSWORD)


def test_worker_processes_write_the_same_rows_as_one_process(refdata, today):
    """Large loads generate in forked workers (COPY text built there): same rows as the in-process path."""
    from cep.demo.loader import load
    from cep.demo.world import build_world

    generate(today)
    single = digest()
    wipe()
    world = build_world(beneficiaries=N, seed=42, months=18, day=today)
    totals = load(world, N, batch=100, workers=2)
    assert totals["beneficiaries_beneficiary"] == N
    assert digest() == single


def _schema():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid::regclass::text = ANY(%s) ORDER BY 1",
            [list(TABLES)],
        )
        # The predicate of a re-created partial index prints its casts differently: compare without them.
        indexes = [(name, re.sub(r"::[a-z ]+(\[\])?|[()\s]", "", d)) for name, d in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1",
            [list(TABLES)],
        )
        return indexes, cursor.fetchall()


def test_bulk_load_leaves_every_index_and_constraint_in_place(refdata, today):
    """The empty-base fast path drops secondary indexes and foreign keys, then recreates exactly the same."""
    before = _schema()
    assert any("FOREIGN KEY" in c[1] for c in before[1]) and len(before[0]) > 20
    generate(today, n=60)
    after = _schema()
    assert set(after[0]) == set(before[0])
    assert set(after[1]) == set(before[1])


def test_identity_pseudonyms_of_the_generated_base(population):
    """Issue 11: the generator writes the pseudonym Beneficiary.save() computes, copies it on the CEPs, and two
    different people of the generated base never share it."""
    from cep.beneficiaries import identity

    sample = Beneficiary.objects.order_by("?")[:50]
    assert all(b.identity_pseudonym == identity.of(b) for b in sample)
    people = Beneficiary.objects.count()
    assert Beneficiary.objects.values("identity_pseudonym").distinct().count() == people == N
    assert Cep.objects.exists() and not Cep.objects.filter(identity_pseudonym="").exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM enrolments_cep c JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id "
            "WHERE c.identity_pseudonym <> b.identity_pseudonym"
        )
        assert cursor.fetchone() == (0,)


def test_the_generator_separates_homonyms_born_the_same_day(refdata):
    """A later dossier with the same identity as an earlier one gets a second given name (separate_homonyms)."""
    from cep.beneficiaries import identity
    from cep.demo.loader import separate_homonyms
    from tests.factories import BeneficiaryFactory

    same = {"last_name": "Martin", "first_name": "Léa", "birth_date": datetime.date(1999, 3, 4), "sex": "F"}
    first, second, third = (BeneficiaryFactory(**same) for _ in range(3))
    other = BeneficiaryFactory(**{**same, "first_name": "Léa Marie"})  # already taken: the next name is tried
    assert separate_homonyms(identity.identity_key()) == 2
    for b in (first, second, third, other):
        b.refresh_from_db()
    assert first.first_name == "Léa" and {second.first_name, third.first_name} == {"Léa Jean", "Léa Anne"}
    assert len({b.identity_pseudonym for b in (first, second, third, other)}) == 4
    assert all(b.identity_pseudonym == identity.of(b) for b in (first, second, third, other))
    assert separate_homonyms(identity.identity_key()) == 0
