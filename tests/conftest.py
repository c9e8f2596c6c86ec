import datetime

import pytest

from cep.accounts.rights import Role
from cep.referentials import models as ref
from tests import clock
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory


@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    """tests.clock.today() refuses to be read while the tests are collected: it would be stale once they run."""
    clock.collecting = True
    try:
        return (yield)
    finally:
        clock.collecting = False


@pytest.fixture
def today():
    """The application's today (Europe/Paris, tests/clock.py), read once when the test starts."""
    return clock.today()


@pytest.fixture
def refdata(db):
    """Referentials and territories come from data migrations; a transactional test's flush removes them."""
    load_refdata()


def load_refdata():
    """The data migrations' rows (territories, referentials, monitoring themes), loaded again when missing."""
    if not ref.Network.objects.exists():
        from django.apps import apps

        from cep.organisations.territories import load as load_territories
        from cep.referentials.data import load as load_referentials

        load_territories(apps)
        load_referentials(apps)
    from cep.monitoring.models import CooperationTheme

    if not CooperationTheme.objects.exists():
        from django.apps import apps

        from cep.monitoring.data import load as load_monitoring

        load_monitoring(apps)


@pytest.fixture
def structure(refdata):
    return StructureFactory()


@pytest.fixture
def other_structure(refdata):
    return StructureFactory(name="Mission locale du Grand Ajaccio")


@pytest.fixture
def counselor(structure):
    return UserFactory(username="conseiller", role=Role.COUNSELOR, structure=structure)


@pytest.fixture
def manager(structure):
    return UserFactory(username="responsable", role=Role.MANAGER, structure=structure)


@pytest.fixture
def other_counselor(other_structure):
    return UserFactory(username="conseiller_b", role=Role.COUNSELOR, structure=other_structure)


@pytest.fixture
def beneficiary(structure, counselor):
    return BeneficiaryFactory(structure=structure, referent=counselor)


@pytest.fixture
def cep_refs(refdata):
    """The referential values a CEP needs, by their codes."""
    return {
        "direct": ref.OrientationSource.objects.get(code="ma_structure_entree_directe"),
        "after_level1": ref.OrientationSource.objects.get(code="ma_structure_suite_niveau1"),
        "reason": ref.RequestReason.objects.get(code="prise_de_recul"),
        "reconversion": ref.RequestReason.objects.get(code="reconversion"),
        "project": ref.ProjectType.objects.get(code="reconversion"),
        "plan": ref.ExitReason.objects.get(code="plan_action_realise"),
        "deces": ref.ExitReason.objects.get(code="deces"),
        "formalised": ref.ExitReason.objects.get(code="interruption_formalisee"),
    }


@pytest.fixture
def cep_offer(structure, manager):
    """A CEP level-1 offer of the structure (« Info. Conseil sur les formations »), open for 300 days."""
    from cep.offers.services import create_offer

    return create_offer(
        structure=structure,
        actor=manager,
        origin="structure",
        theme=ref.ServiceTheme.objects.get(code="formation"),
        service_act=ref.ServiceAct.objects.get(code="info_conseil_formations"),
        name="Offre CEP",
        start_date=clock.today() - datetime.timedelta(days=300),
        national_measure="cep",
    )


@pytest.fixture
def event_refs(refdata):
    return {
        "primary_context": ref.EventContext.objects.get(code="cep"),
        "direction": ref.EventDirection.objects.get(code="beneficiaire_vers_structure"),
        "nature": ref.EventNature.objects.get(code="entretien_individuel"),
        "place": ref.ReceptionPlace.objects.get(code="siege"),
        "function": ref.StaffFunction.objects.get(code="conseiller"),
    }


@pytest.fixture
def open_cep(beneficiary, counselor, cep_refs):
    """Open a CEP in phase 2 (entry 100 days ago by default)."""
    from cep.enrolments.services import open_cep as service

    def make(entry_date=None, phase=2, **kwargs):
        return service(
            beneficiary=beneficiary,
            actor=counselor,
            orientation_source=kwargs.pop("orientation_source", cep_refs["direct"]),
            entry_date=entry_date or clock.today() - datetime.timedelta(days=100),
            entry_phase=phase,
            request_reason=cep_refs["reason"],
            **kwargs,
        )

    return make


# --- rendez-vous (issue 14) ---


@pytest.fixture
def modes(refdata):
    return {m.code: m for m in ref.AppointmentMode.objects.select_related("event_nature", "event_direction")}


@pytest.fixture
def siege(refdata):
    return ref.ReceptionPlace.objects.get(code="siege")


@pytest.fixture
def book(beneficiary, counselor, modes, siege):
    """Book a rendez-vous on `beneficiary` as `counselor` (today 00:05, on site, by default)."""
    from cep.appointments.services import book_appointment
    from tests.factories import paris_at

    def make(starts_at=None, mode="presentiel", **kwargs):
        kwargs.setdefault("place", siege if mode == "presentiel" else None)
        return book_appointment(
            beneficiary=kwargs.pop("beneficiary", beneficiary),
            actor=kwargs.pop("actor", counselor),
            starts_at=starts_at or paris_at(0, 5),
            mode=modes[mode],
            **kwargs,
        )

    return make


def pass_second_factor(client, user):
    """Mark the client's session as having passed the second factor (a confirmed TOTP device of the user)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login(user)` stands for a complete sign-in: password, then the second factor that staff with
    management rights type (web.middleware.SecondFactorMiddleware). The second factor's own tests sign in
    through the login page or `client.login()` (tests/web/test_second_factor.py)."""
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.needs_second_factor:
            pass_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


def pytest_sessionfinish(session, exitstatus):
    """In CI (CEP_FORBID_SKIPS=1) a skipped test is a failure: PostgreSQL and browser tests must run."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CEP_FORBID_SKIPS") == "1" and reporter is not None and reporter.stats.get("skipped"):
        reporter.write_line(f"{len(reporter.stats['skipped'])} test(s) skipped: refused in CI.", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """At the end of the run, no other session is left on the test database that pytest-django then drops: it
    could not, and would only warn (« database "test_…" is being accessed by other users »). The sessions left are
    named with their last query (tests/browser.py tells the one cause met so far)."""
    yield
    import time

    from django.db import connection

    # A backend whose client has just disconnected leaves pg_stat_activity a moment later (DROP DATABASE also
    # waits up to 5 seconds for them).
    deadline = time.monotonic() + 5
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT pid, state, backend_start, left(query, 200) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            others = cursor.fetchall()
            if not others or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert not others, f"Sessions still connected to the test database at the end of the run: {others}"


# The smoke subset (`make smoke`): migrations, the lifecycle rules, one monthly file, one dashboard. CI runs it on
# the embedded PostgreSQL of the wheel, beside the full suite on the machine's server.
SMOKE = (
    "tests/test_migrations.py::",
    "tests/enrolments/test_rules.py::",
    "tests/reporting/exports/test_export_flow.py::test_every_file_of_the_month_validates_against_its_contract",
    "tests/reporting/indicators/test_dashboard.py::test_counselors_are_refused_and_anonymous_users_sent_to_sign_in",
)


def pytest_collection_modifyitems(config, items):
    found = set()
    for item in items:
        if item.nodeid.startswith(SMOKE):
            item.add_marker(pytest.mark.smoke)
            found.update(prefix for prefix in SMOKE if item.nodeid.startswith(prefix))
    if config.getoption("markexpr") == "smoke" and found != set(SMOKE):
        raise pytest.UsageError(f"Sous-ensemble de fumée introuvable : {sorted(set(SMOKE) - found)}")
