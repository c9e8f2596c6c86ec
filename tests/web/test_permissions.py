"""Permission matrix: every URL of the `web`, `manager`, `reporting` and `monitoring` namespaces × every role.

The URLs are enumerated from the resolver, so a new page without a rule here fails `test_every_page_has_a_rule`.
Each URL name maps to a rule (a row of expected statuses per role) and, when it takes arguments, to the objects
it is called with. Another structure's dossier, CEP, offer or user answers 404 to the staff of a structure.
The same pages by right, each right withdrawn one at a time, are in test_permissions_rights.py.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cep.accounts.models import ApiToken
from cep.accounts.rights import Role
from cep.appointments import feed
from cep.appointments.services import book_appointment
from cep.enrolments.services import open_cep
from cep.imports.models import ImportBatch
from cep.monitoring.models import Exercise, Milestone, RegionalDocument, ReportSection, ReportSnapshot, Thread
from cep.orientations.services import send_orientation
from cep.plans.services import create_plan, issue_synthesis
from cep.referentials.models import AppointmentMode, ConsentMode
from cep.reporting.exports.models import BatchStatus, ExportBatch, ExportFile, JobState, Scope
from tests.clock import today
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory
from tests.web.fixtures_manager import make_offer

NAMESPACES = ("web", "manager", "reporting", "monitoring", "imports")
ROLES = ("anonymous", "counselor", "manager", "admin", "regional_observer", "national_observer")
LOGIN = 302  # redirect to the sign-in page


def row(anonymous, counselor, manager, admin, regional, national):
    return dict(zip(ROLES, (anonymous, counselor, manager, admin, regional, national), strict=True))


# Rules: expected status of a GET per role.
RULES = {
    # Pages with personal data: structure staff only; observers never see a person.
    "personal": row(LOGIN, 200, 200, 200, 403, 403),
    # Structure management (right « Gérer la structure »).
    "structure": row(LOGIN, 403, 200, 200, 403, 403),
    # Catalogue editing (right « Gérer des offres de service », a counselor's by default since the guide says so).
    "offers_write": row(LOGIN, 200, 200, 200, 403, 403),
    # POST-only actions: a GET is refused once access is checked.
    "structure_post": row(LOGIN, 403, 405, 405, 403, 403),
    "personal_post": row(LOGIN, 405, 405, 405, 403, 403),
    # Needs a structure: an administrator without one is sent to the structure choice first.
    "structure_chosen": row(LOGIN, 403, 200, 302, 403, 403),
    # Everyone signed in has a home page; observers are sent to the indicators (checked below).
    "signed_in": row(LOGIN, 200, 200, 200, 302, 302),
    "public": row(200, 200, 200, 200, 200, 200),
    # The sign-in page sends a signed-in user home.
    "sign_in": row(200, 302, 302, 302, 302, 302),
    # Aggregates (right « Consulter les indicateurs agrégés »).
    "aggregates": row(LOGIN, 403, 200, 200, 200, 200),
    # Monthly file (right « Produire le fichier mensuel »).
    "export": row(LOGIN, 403, 200, 200, 403, 403),
    # Import of existing dossiers (right « Importer des données »).
    "import": row(LOGIN, 403, 200, 200, 403, 403),
    # Pseudonymised files received at the national level (right « Recevoir les fichiers mensuels »).
    "received": row(LOGIN, 403, 403, 200, 403, 200),
    # My account (password, API tokens): every signed-in user.
    "account": row(LOGIN, 200, 200, 200, 200, 200),
    "account_post": row(LOGIN, 405, 405, 405, 405, 405),
    # Regional monitoring (issue 12): the Transitions Pro of the région writes (« Suivre la mise en œuvre du CEP en
    # région »); France compétences reads every région's (« Consulter le suivi régional de toutes les régions »); an
    # administrator holds both rights but no région: reads everything, writes nothing.
    "monitoring_read": row(LOGIN, 403, 403, 200, 200, 200),
    "monitoring_list": row(LOGIN, 403, 403, 200, 200, 403),
    "monitoring_national": row(LOGIN, 403, 403, 200, 403, 200),
    "monitoring_write": row(LOGIN, 403, 403, 403, 200, 403),
    "monitoring_post": row(LOGIN, 403, 403, 405, 405, 403),
    # The draft shared with the région's operators (« Lire et commenter le projet de rapport régional », a
    # manager's by default): the operator's list and comments; the draft and its PDF / DOCX are read by everyone
    # concerned.
    "monitoring_shared": row(LOGIN, 403, 200, 200, 403, 403),
    "monitoring_draft": row(LOGIN, 403, 200, 200, 200, 200),
    "monitoring_comment_post": row(LOGIN, 403, 405, 405, 403, 403),
    "monitoring_thread_post": row(LOGIN, 403, 405, 405, 405, 403),
    # Second-factor pages: a signed-in user who passed it (or needs none) is sent on.
    "second_factor": row(LOGIN, 302, 302, 302, 302, 302),
}
DEFAULT_RULE = {
    "web": "personal",
    "manager": "personal",
    "reporting": "aggregates",
    "monitoring": "monitoring_read",
    "imports": "import",
}

# URL name → (rule, how its arguments are filled). Names absent here take the namespace's default rule and
# must not take arguments (the test then fails and asks for an entry).
PAGES = {
    "web:home": ("signed_in", None),
    "web:login": ("sign_in", None),
    "web:logout": (row(405, 405, 405, 405, 405, 405), None),
    "web:dossier": ("personal", "beneficiary"),
    "web:justify": ("personal_post", "beneficiary"),
    "web:beneficiary_create_check": ("personal_post", None),
    "web:identity": ("personal", "beneficiary"),
    "web:contact": ("personal", "beneficiary"),
    "web:complements": ("personal", "beneficiary"),
    "web:appointments": ("personal", "beneficiary"),
    "web:appointment_status": ("personal_post", "appointment"),
    # The agenda feed: its token is the key, whoever holds it (signed in or not) reads it; a wrong token is a 404.
    "web:appointments_feed": ("public", "feed"),
    "web:feed_regenerate": ("account_post", None),
    "web:dispositifs": ("personal", "beneficiary"),
    "web:cep_add": ("personal", "beneficiary"),
    "web:events": ("personal", "beneficiary"),
    "web:event_add": ("personal", "beneficiary"),
    "web:services": ("personal", "beneficiary"),
    "web:offer_search": ("personal", "beneficiary"),
    "web:propose": ("personal", "beneficiary+offer"),
    "web:cep_phase3": ("personal", "cep"),
    "web:cep_cancel_phase3": ("personal_post", "cep"),
    "web:cep_modify": ("personal", "cep"),
    "web:cep_close": ("personal", "cep"),
    "web:cep_reopen": ("personal_post", "cep"),
    "web:cep_delete": ("personal", "cep"),
    "web:cep_history": ("personal", "cep"),
    "web:cep_plan": ("personal", "cep"),
    "web:cep_plan_create": ("personal_post", "cep"),
    "web:cep_plan_edit": ("personal", "cep"),
    "web:cep_plan_item": ("personal", "cep"),
    "web:cep_plan_remove": ("personal_post", "cep"),
    "web:cep_plan_versions": ("personal", "cep"),
    "web:documents": ("personal", "beneficiary"),
    "web:document_level1": ("personal", "beneficiary"),
    "web:document_synthesis": ("personal_post", "cep"),
    "web:document_step_back": ("personal", "cep"),
    "web:document_download": ("personal", "document"),
    "manager:offers": ("personal", None),
    "manager:offer_detail": ("personal", "offer"),
    "manager:offer_create": ("offers_write", None),
    "manager:offer_edit": ("offers_write", "offer"),
    "manager:structure": ("structure", None),
    "manager:structure_settings": ("structure_post", None),
    "manager:structure_directory": ("structure_chosen", None),
    "manager:user_create": ("structure_chosen", None),
    "manager:user_edit": ("structure", "user"),
    "manager:user_deactivate": ("structure_post", "user"),
    "manager:reassign": ("structure_chosen", None),
    "manager:user_password_reset": ("structure_post", "user"),
    "manager:user_second_factor_reset": ("structure_post", "user"),
    "web:account": ("account", None),
    "web:password_change": ("account", None),
    "web:api_tokens": ("account", None),
    "web:api_token_revoke": ("account_post", "token"),
    "web:otp_enrol": ("second_factor", None),
    "web:otp_verify": ("second_factor", None),
    "web:otp_recovery_codes": ("account_post", None),
    # A reset link (here an invalid one: the page says so) is open to anyone who holds it.
    "web:password_reset_confirm": ("public", "reset_link"),
    "reporting:exports": ("export", None),
    "reporting:export_request": (row(405, 405, 405, 405, 405, 405), None),  # require_POST before the login check
    "reporting:export_detail": ("export", "batch"),
    "reporting:export_progress": ("export", "batch"),
    "reporting:export_transmit": (row(405, 405, 405, 405, 405, 405), "batch"),
    "reporting:export_relaunch": (row(405, 405, 405, 405, 405, 405), "batch"),
    "reporting:export_return": (row(405, 405, 405, 405, 405, 405), "batch"),
    "reporting:export_download": ("export", "batch+resource"),
    "reporting:export_download_all": ("export", "batch"),
    "reporting:received": ("received", None),
    "reporting:received_download": ("received", "batch+resource"),
    "reporting:overlaps": ("received", None),
    "reporting:overlaps_csv": ("received", None),
    # The interface contract and the rules are public.
    "web:rules": ("public", None),
    "reporting:contract": ("public", None),
    "reporting:contract_changelog": ("public", None),
    "reporting:contract_schema": ("public", "version+resource"),
    "reporting:contract_example": ("public", "version+resource"),
    "monitoring:exercises": ("monitoring_list", None),
    "monitoring:national": ("monitoring_national", None),
    "monitoring:exercise": ("monitoring_read", "exercise"),
    "monitoring:meeting_add": ("monitoring_write", "exercise"),
    "monitoring:cooperation_add": ("monitoring_write", "exercise"),
    "monitoring:investigation_add": ("monitoring_write", "exercise"),
    "monitoring:step": ("monitoring_post", "exercise+action"),
    "monitoring:milestone": ("monitoring_post", "milestone"),
    "monitoring:document_add": ("monitoring_write", "exercise"),
    "monitoring:data_part": ("monitoring_read", "exercise"),
    "monitoring:report": ("monitoring_read", "exercise"),
    "monitoring:shared": ("monitoring_shared", None),
    "monitoring:draft": ("monitoring_draft", "exercise"),
    "monitoring:report_pdf": ("monitoring_draft", "exercise+number"),
    "monitoring:report_docx": ("monitoring_draft", "exercise+number"),
    "monitoring:thread_new": ("monitoring_comment_post", "exercise"),
    "monitoring:reshare": ("monitoring_post", "exercise"),
    "monitoring:thread_action": ("monitoring_thread_post", "thread+action"),
    "monitoring:section_edit": ("monitoring_write", "section"),
    "monitoring:section_history": ("monitoring_read", "section"),
    "monitoring:document_download": ("monitoring_read", "regional_document"),
    # Orientations between structures (issue 11): both structures read an orientation, a third one gets a 404.
    "web:orientation_directory": ("personal", None),
    # « Orienter » without a chosen structure sends to the directory (with the person's commune).
    "web:orient": (row(LOGIN, 302, 302, 302, 403, 403), "beneficiary"),
    "web:orientations_received": ("personal", None),
    "web:orientations_sent": ("personal", None),
    "web:orientation": ("personal", "orientation"),
    "web:orientation_message": ("personal_post", "orientation"),
    "web:orientation_accept": ("personal_post", "orientation"),
    "web:orientation_refuse": ("personal_post", "orientation"),
    "web:orientation_cancel": ("personal_post", "orientation"),
    "web:orientation_withdraw_consent": ("personal_post", "orientation"),
    "imports:upload": (row(405, 405, 405, 405, 405, 405), None),  # require_POST before the login check
    "imports:template": ("import", "import_kind"),
    "imports:detail": ("import", "import_batch"),
    "imports:progress": ("import", "import_batch"),
    "imports:refused": ("import", "import_batch"),
    "imports:confirm": (row(405, 405, 405, 405, 405, 405), "import_batch"),
    "imports:undo": (row(405, 405, 405, 405, 405, 405), "import_batch"),
    "imports:discard": (row(405, 405, 405, 405, 405, 405), "import_batch"),
}
# Who may act on a POST-only page whose GET answers 405 to everyone (default: the roles with 200 or 405).
ACTORS = {
    "reporting:export_transmit": ("manager",),
    "reporting:export_relaunch": ("manager",),
    "reporting:export_return": ("manager",),
    "imports:upload": ("manager",),
    "imports:confirm": ("manager",),
    "imports:undo": ("manager",),
    "imports:discard": ("manager",),
}


def _walk(patterns, namespace=None, prefix=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, ns, ns if entry.namespace else prefix)
        elif isinstance(entry, URLPattern) and namespace in NAMESPACES and entry.name:
            yield f"{namespace}:{entry.name}", sorted(entry.pattern.converters)


def url_names() -> dict[str, list[str]]:
    return dict(_walk(get_resolver().url_patterns))


URLS = url_names()


def test_every_page_has_a_rule():
    missing = [name for name, params in URLS.items() if params and name not in PAGES]
    assert not missing, f"Add these pages to the permission matrix (PAGES): {missing}"
    stale = [name for name in PAGES if name not in URLS]
    assert not stale, f"These pages no longer exist: {stale}"
    assert {"manager", "web"} <= {name.split(":")[0] for name in URLS}


class World:
    """Two structures with their people, dossiers, CEPs and offers; one user per role."""

    def __init__(self, structure, other_structure, counselor, manager, cep_refs):
        self.users = {
            "counselor": counselor,
            "manager": manager,
            "admin": UserFactory(username="administrateur", role=Role.ADMIN, structure=None),
            "regional_observer": UserFactory(
                username="obs_region", role=Role.REGIONAL_OBSERVER, structure=None, region_id="94"
            ),
            "national_observer": UserFactory(username="obs_national", role=Role.NATIONAL_OBSERVER, structure=None),
        }
        other_counselor = UserFactory(username="conseiller_autre", role=Role.COUNSELOR, structure=other_structure)
        self.objects = {
            "own": self._objects(structure, counselor, cep_refs, transmitted=True),
            "other": self._objects(other_structure, other_counselor, cep_refs),
        }

    @staticmethod
    def _objects(structure, counselor, cep_refs, transmitted=False):
        beneficiary = BeneficiaryFactory(structure=structure, referent=counselor)
        cep = open_cep(
            beneficiary=beneficiary,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=today() - datetime.timedelta(days=100),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )
        create_plan(cep=cep, actor=counselor)
        document = issue_synthesis(cep=cep, actor=counselor)
        offer = make_offer(structure, name=f"Offre de {structure.name}", referent=counselor)
        batch = ExportBatch.objects.create(
            scope=Scope.STRUCTURE, structure=structure, month=today().replace(day=1), contract_version="1.1.0"
        )
        if transmitted:  # received at the national level; the other structure's batch is still being prepared
            ExportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.TRANSMITTED, job_state=JobState.DONE)
        ExportFile.objects.create(batch=batch, resource="entrees", name="entrees.csv", sha256="0" * 64)
        token, _key = ApiToken.issue(counselor)
        # The regional observer's région (94) for "own", another région for "other".
        exercise = Exercise.objects.create(
            region_id="94" if transmitted else "11", year=2025, due_on=datetime.date(2026, 7, 15)
        )
        milestone = Milestone.objects.create(
            exercise=exercise, code="donnees", kind="donnees", label="Données", due_on=today(), due_label="Mi avril"
        )
        regional_document = RegionalDocument.objects.create(
            exercise=exercise,
            title="Bilan",
            kind="bilan",
            source="CREFOP",
            published_on=today(),
            filename="bilan.pdf",
            content_type="application/pdf",
            size=8,
            sha256="0" * 64,
            content=b"%PDF-1.7",
            uploaded_by=counselor,
        )
        section = ReportSection.objects.create(exercise=exercise, key="introduction", position=0, title="Introduction")
        if transmitted:  # the own région's draft is shared with its operators
            Exercise.objects.filter(pk=exercise.pk).update(state="partage", shared_on=today())
        snapshot = ReportSnapshot.objects.create(
            exercise=exercise, number=1, state="partage", sections=[], sha256="0" * 64, created_by=counselor
        )
        thread = Thread.objects.create(
            exercise=exercise,
            section_key="introduction",
            snapshot=snapshot,
            kind="commentaire",
            structure=structure,
            author=counselor,
            body="Un commentaire",
        )
        appointment = book_appointment(
            beneficiary=beneficiary,
            actor=counselor,
            starts_at=timezone.now() + datetime.timedelta(days=1),
            mode=AppointmentMode.objects.get(pk="telephone"),
        )
        # An orientation from the structure to a third one (the other structure's is not the own's business).
        orientation = send_orientation(
            beneficiary=beneficiary,
            actor=counselor,
            target=StructureFactory(name=f"Destinataire de {structure.name}"),
            consent_mode=ConsentMode.objects.get(pk="oral"),
        )
        import_batch = ImportBatch.objects.create(
            structure=structure,
            kind="beneficiaries",
            file_name="beneficiaires.csv",
            file_sha256="0" * 64,
            file_format="csv",
            created_by=counselor,
        )
        return {
            "orientation": orientation,
            "import_batch": import_batch,
            "thread": thread,
            "section": section,
            "exercise": exercise,
            "regional_document": regional_document,
            "milestone": milestone,
            "appointment": appointment,
            "feed": feed.regenerate(counselor),
            "beneficiary": beneficiary,
            "cep": cep,
            "offer": offer,
            "user": counselor,
            "batch": batch,
            "token": token,
            "document": document,
        }

    def kwargs(self, name: str, which: str) -> dict:
        spec = PAGES.get(name, (None, None))[1]
        if spec is None:
            return {}
        objects = self.objects[which]
        params = URLS[name]
        values = {
            "beneficiary": {params[0]: objects["beneficiary"].pk},
            "beneficiary+offer": {"pk": objects["beneficiary"].pk, "offer_id": objects["offer"].pk},
            "cep": {params[0]: objects["cep"].pk},
            "offer": {params[0]: objects["offer"].pk},
            "user": {params[0]: objects["user"].pk},
            "batch": {params[0]: objects["batch"].pk},
            "import_batch": {params[0]: objects["import_batch"].pk},
            "import_kind": {"kind": "beneficiaires"},
            "batch+resource": {"pk": objects["batch"].pk, "resource": "entrees"},
            "version+resource": {"version": "1.1.0", "resource": "entrees"},
            "token": {params[0]: objects["token"].pk},
            "appointment": {params[0]: objects["appointment"].pk},
            "orientation": {params[0]: objects["orientation"].pk},
            "feed": {params[0]: objects["feed"]},
            "document": {params[0]: objects["document"].pk},
            "reset_link": {"uidb64": "MA", "token": "abc-def"},
            "exercise": {params[0]: objects["exercise"].pk},
            "exercise+action": {"pk": objects["exercise"].pk, "action": "share"},
            "exercise+number": {"pk": objects["exercise"].pk, "number": 1},
            "milestone": {params[0]: objects["milestone"].pk},
            "regional_document": {params[0]: objects["regional_document"].pk},
            "section": {params[0]: objects["section"].pk},
            "thread+action": {"thread_id": objects["thread"].pk, "action": "repondre"},
        }[spec]
        assert sorted(values) == params, f"{name}: arguments {params} do not match the matrix entry {spec!r}"
        return values


@pytest.fixture
def world(structure, other_structure, counselor, manager, cep_refs):
    return World(structure, other_structure, counselor, manager, cep_refs)


def _expected(name):
    rule = PAGES.get(name, (DEFAULT_RULE[name.split(":")[0]], None))[0]
    return RULES[rule] if isinstance(rule, str) else rule


def _status(client, world, role, url):
    client.logout()
    if role != "anonymous":
        client.force_login(world.users[role])
    response = client.get(url)
    if response.status_code == 302 and role == "anonymous":
        assert response.url.startswith(reverse("web:login")), f"{url}: redirects to {response.url}"
    return response.status_code


def test_observers_home_is_the_indicators(client, world):
    for role in ("regional_observer", "national_observer"):
        client.force_login(world.users[role])
        response = client.get(reverse("web:home"))
        assert response.status_code == 302 and response.url == reverse("reporting:dashboard")


# Pages of one structure's object (the contract is public: not one structure's).
OBJECT_PAGES = {
    name
    for name in URLS
    if PAGES.get(name, (None, None))[1] not in (None, "version+resource", "reset_link", "feed", "import_kind")
}


@pytest.mark.parametrize("name", sorted(URLS))
def test_matrix(client, world, name):
    """The expected status for every role; for a page of one object, another structure's object is a 404."""
    if URLS[name] and name not in PAGES:
        pytest.fail(f"{name} takes arguments {URLS[name]}: add it to PAGES")
    url = reverse(name, kwargs=world.kwargs(name, "own"))
    expected = _expected(name)
    actual = {role: _status(client, world, role, url) for role in ROLES}
    wrong = {
        role: f"expected {expected[role]}, got {actual[role]}" for role in ROLES if actual[role] != expected[role]
    }
    assert not wrong, f"{url}: {wrong}"
    if name in OBJECT_PAGES:
        _assert_other_structures_object_is_404(client, world, name)


def _assert_other_structures_object_is_404(client, world, name):
    url = reverse(name, kwargs=world.kwargs(name, "other"))
    expected = _expected(name)
    post_only = all(status in (405, 403, LOGIN) for status in expected.values())
    for role in ("counselor", "manager"):
        may_act = role in ACTORS[name] if name in ACTORS else expected[role] in (200, 405)
        if not may_act:
            continue  # the page is closed to the role anyway
        client.logout()
        client.force_login(world.users[role])
        # POST-only actions are tried with an empty POST: refused as "not found" before anything else.
        response = client.post(url, {}) if post_only else client.get(url)
        assert response.status_code == 404, f"{role} reached {url} of another structure ({response.status_code})"
