"""Permission matrix, by right: it reads the rights table (`Right`) and withdraws each right one at a time.

`RIGHT_PAGES` maps every right to the pages that need it. For every right, a user holding every other right is
refused (403, a French page naming the right) on each of its pages, and accepted once the right is given back.
A right that no page checks fails `test_every_right_is_checked_somewhere` (no entry) or the refusal test (an
entry the code does not enforce); a page of the matrix that needs a right and is not here fails
`test_every_page_is_in_the_rights_registry`. The API face is in tests/api/test_permissions_rights.py.
"""

import pytest
from django.urls import reverse
from django.utils.html import escape

from cep.accounts.rights import NATIONAL_RIGHTS, REGIONAL_RIGHTS, Right
from tests.web.test_permissions import URLS, World

V, MD, ED, EV, CEP = Right.VIEW_DOSSIER, Right.MANAGE_DOSSIERS, Right.EDIT_DOSSIER, Right.EVENTS, Right.PROPOSE_CEP
# right → (METHOD, URL name) of every page that needs it (the page's form or its action).
RIGHT_PAGES = {
    V: [
        ("GET", name)
        for name in (
            "web:beneficiary_search",
            "web:communes",
            "web:dossier",
            "web:identity",
            "web:contact",
            "web:complements",
            "web:appointments",
            "web:dispositifs",
            "web:events",
            "web:services",
            "web:cep_history",
            "web:cep_plan",
            "web:cep_plan_versions",
            "web:documents",
            "web:document_download",
            "web:orientation_directory",
            "web:orientation",
        )
    ]
    + [("POST", "web:orientation_message")],
    MD: [
        ("GET", "web:beneficiary_create"),
        ("POST", "web:beneficiary_create_check"),
        ("GET", "web:offer_search"),
        ("GET", "web:propose"),
        ("GET", "web:offer_search"),
        ("GET", "web:propose"),
        ("GET", "web:document_level1"),
        ("POST", "web:document_level1"),
    ],
    ED: [("POST", "web:justify"), ("POST", "web:identity"), ("POST", "web:contact"), ("POST", "web:complements")],
    EV: [
        ("GET", "web:event_add"),
        ("POST", "web:event_add"),
        ("POST", "web:appointments"),
        ("POST", "web:appointment_status"),
    ],
    CEP: [
        ("GET", "web:cep_add"),
        ("GET", "web:cep_phase3"),
        ("GET", "web:cep_modify"),
        ("GET", "web:cep_close"),
        ("GET", "web:cep_delete"),
        ("POST", "web:cep_delete"),
        ("POST", "web:cep_cancel_phase3"),
        ("POST", "web:cep_reopen"),
        ("POST", "web:cep_plan_create"),
        ("GET", "web:cep_plan_edit"),
        ("GET", "web:cep_plan_item"),
        ("POST", "web:cep_plan_item"),
        ("POST", "web:cep_plan_remove"),
        ("POST", "web:document_synthesis"),
        ("GET", "web:document_step_back"),
        ("POST", "web:document_step_back"),
    ],
    Right.MANAGE_OFFERS: [("GET", "manager:offer_create"), ("GET", "manager:offer_edit")],
    Right.MANAGE_STRUCTURE: [
        ("GET", "manager:structure"),
        ("GET", "manager:user_create"),
        ("GET", "manager:user_edit"),
        ("GET", "manager:reassign"),
        ("POST", "manager:structure_settings"),
        ("GET", "manager:structure_directory"),
        ("POST", "manager:structure_directory"),
        ("POST", "manager:user_deactivate"),
        ("POST", "manager:user_password_reset"),
        ("POST", "manager:user_second_factor_reset"),
    ],
    Right.VIEW_AGGREGATES: [
        ("GET", "reporting:dashboard"),
        ("GET", "reporting:dashboard_download"),
        ("GET", "reporting:dashboard_refresh"),
    ],
    Right.EXPORT_MONTHLY: [
        ("GET", "reporting:exports"),
        ("GET", "reporting:export_detail"),
        ("GET", "reporting:export_progress"),
        ("GET", "reporting:export_download"),
        ("GET", "reporting:export_download_all"),
        ("POST", "reporting:export_request"),
        ("POST", "reporting:export_transmit"),
        ("POST", "reporting:export_relaunch"),
        ("POST", "reporting:export_return"),
    ],
    Right.RECEIVE_MONTHLY: [
        ("GET", "reporting:received"),
        ("GET", "reporting:received_download"),
        ("GET", "reporting:overlaps"),
        ("GET", "reporting:overlaps_csv"),
    ],
    Right.REGIONAL_MONITORING: [
        ("GET", "monitoring:exercises"),
        ("GET", "monitoring:exercise"),
        ("GET", "monitoring:meeting_add"),
        ("GET", "monitoring:cooperation_add"),
        ("POST", "monitoring:meeting_add"),
        ("POST", "monitoring:cooperation_add"),
        ("GET", "monitoring:investigation_add"),
        ("POST", "monitoring:investigation_add"),
        ("POST", "monitoring:step"),
        ("POST", "monitoring:milestone"),
        ("GET", "monitoring:document_add"),
        ("POST", "monitoring:document_add"),
        ("GET", "monitoring:document_download"),
        ("GET", "monitoring:data_part"),
        ("GET", "monitoring:report"),
        ("GET", "monitoring:section_edit"),
        ("POST", "monitoring:section_edit"),
        ("GET", "monitoring:section_history"),
        ("POST", "monitoring:reshare"),
    ],
    Right.READ_REGIONAL_REPORTS: [("GET", "monitoring:national")],
    Right.COMMENT_REGIONAL_REPORT: [("GET", "monitoring:shared"), ("POST", "monitoring:thread_new")],
    Right.ORIENT: [
        ("GET", "web:orient"),
        ("GET", "web:orientations_sent"),
        ("POST", "web:orientation_cancel"),
        ("POST", "web:orientation_withdraw_consent"),
    ],
    Right.HANDLE_ORIENTATIONS: [
        ("GET", "web:orientations_received"),
        ("POST", "web:orientation_accept"),
        ("POST", "web:orientation_refuse"),
    ],
    Right.IMPORT_DATA: [
        ("GET", "imports:list"),
        ("GET", "imports:template"),
        ("GET", "imports:detail"),
        ("GET", "imports:progress"),
        ("GET", "imports:refused"),
        ("POST", "imports:upload"),
        ("POST", "imports:confirm"),
        ("POST", "imports:undo"),
        ("POST", "imports:discard"),
    ],
}
# Pages that need no right beyond being signed in (or nothing at all): the home page, signing in and out, one's own
# account (password, second factor, API tokens, the agenda link), the agenda feed (its token is the key), the offer
# catalogue (read-only for every structure's staff), the public interface contract and rules (docs/regles-cep).
NO_RIGHT = {
    "web:home",
    "web:login",
    "web:logout",
    "web:account",
    "web:password_change",
    "web:password_reset_confirm",
    "web:otp_enrol",
    "web:otp_verify",
    "web:otp_recovery_codes",
    "web:api_tokens",
    "web:api_token_revoke",
    "web:appointments_feed",
    "web:feed_regenerate",
    "manager:offers",
    "manager:offer_detail",
    "web:rules",
    "reporting:contract",
    "reporting:contract_changelog",
    "reporting:contract_schema",
    "reporting:contract_example",
}
# Pages open to the holders of any of several rights: (METHOD, URL name) → the rights; whoever holds none of them
# is refused.
ANY_OF_RIGHTS = {
    ("GET", "monitoring:draft"): (
        Right.REGIONAL_MONITORING,
        Right.READ_REGIONAL_REPORTS,
        Right.COMMENT_REGIONAL_REPORT,
    ),
    ("POST", "monitoring:thread_action"): (Right.REGIONAL_MONITORING, Right.COMMENT_REGIONAL_REPORT),
    ("GET", "monitoring:report_pdf"): (
        Right.REGIONAL_MONITORING,
        Right.READ_REGIONAL_REPORTS,
        Right.COMMENT_REGIONAL_REPORT,
    ),
    ("GET", "monitoring:report_docx"): (
        Right.REGIONAL_MONITORING,
        Right.READ_REGIONAL_REPORTS,
        Right.COMMENT_REGIONAL_REPORT,
    ),
}
CASES = [(right, method, name) for right, pages in RIGHT_PAGES.items() for method, name in pages]


def test_every_right_is_checked_somewhere():
    """The rights table is read: a right without a page that needs it fails here."""
    assert set(RIGHT_PAGES) == set(Right.values), set(Right.values) ^ set(RIGHT_PAGES)
    assert all(RIGHT_PAGES.values()), [r for r, pages in RIGHT_PAGES.items() if not pages]


def test_every_page_is_in_the_rights_registry():
    covered = {name for _, name in (page for pages in RIGHT_PAGES.values() for page in pages)}
    covered |= {name for _, name in ANY_OF_RIGHTS}
    missing = sorted(set(URLS) - covered - NO_RIGHT)
    assert not missing, f"Which right does each of these pages need? Add them to RIGHT_PAGES: {missing}"
    stale = sorted((covered | NO_RIGHT) - set(URLS))
    assert not stale, f"These pages no longer exist: {stale}"


@pytest.fixture
def world(structure, other_structure, counselor, manager, cep_refs):
    return World(structure, other_structure, counselor, manager, cep_refs)


def _holder(world, right):
    """A user holding every right but `right`: the structure's manager, for national rights an administrator
    without a structure (the only staff who may hold them), for the Transitions Pro's right the regional observer
    (the exercise pages are those of its région)."""
    user = world.users["admin"] if right in NATIONAL_RIGHTS else world.users["manager"]
    if right in REGIONAL_RIGHTS:
        user = world.users["regional_observer"]
    scope = set(Right.values) if right in NATIONAL_RIGHTS else set(Right.values) - NATIONAL_RIGHTS
    user.extra_rights = sorted(scope - {right})
    user.save(update_fields=["extra_rights"])
    return user


def _call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, {})


@pytest.mark.parametrize(("right", "method", "name"), CASES, ids=[f"{r}-{m}-{n}" for r, m, n in CASES])
def test_droits_a_page_refuses_whoever_lacks_its_right(client, world, right, method, name):
    user = _holder(world, right)
    client.force_login(user)
    url = reverse(name, kwargs=world.kwargs(name, "own"))
    refused = _call(client, method, url)
    assert refused.status_code == 403, f"{method} {url} without « {Right(right).label} »: {refused.status_code}"
    page = refused.content.decode()
    assert "Accès refusé" in page and escape(f"« {Right(right).label} »") in page, page[-2000:]
    # given back, the page answers (the action may still be refused by a business rule, never by the rights)
    user.extra_rights = sorted(set(user.extra_rights) | {right})
    user.save(update_fields=["extra_rights"])
    accepted = _call(client, method, url)
    assert accepted.status_code not in (403, 404) and accepted.status_code < 500, (
        f"{method} {url} with « {Right(right).label} »: {accepted.status_code}"
    )


@pytest.mark.parametrize("name", [name for method, name in RIGHT_PAGES[V] if method == "GET"])
def test_droits_without_view_dossier_no_dossier_page_shows_a_person(client, world, name):
    """Issue 10, point 2: « Consulter les informations d'un dossier » was never checked."""
    user = _holder(world, V)
    client.force_login(user)
    beneficiary = world.objects["own"]["beneficiary"]
    beneficiary.last_name = "Personnenommeeainsi"  # a random name could also be the signed-in user's, in the header
    beneficiary.save(update_fields=["last_name"])
    response = client.get(reverse(name, kwargs=world.kwargs(name, "own")))
    assert response.status_code == 403
    assert beneficiary.last_name not in response.content.decode()


def test_without_view_dossier_the_home_page_and_menu_show_no_dossier(client, world):
    user = _holder(world, V)
    beneficiary = world.objects["own"]["beneficiary"]
    beneficiary.referent = user
    beneficiary.save(update_fields=["referent"])
    client.force_login(user)
    page = client.get(reverse("web:home")).content.decode()
    assert beneficiary.last_name not in page
    assert reverse("web:beneficiary_search") not in page
    assert "« Consulter les informations d'un dossier »" in page


# Buttons of an action are shown only to whoever may do it: (right withheld, page shown, link that disappears).
BUTTONS = [
    (MD, "web:beneficiary_search", "web:beneficiary_create"),
    (MD, "web:services", "web:offer_search"),
    (ED, "web:dossier", "web:justify"),
    (EV, "web:events", "web:event_add"),
    (EV, "web:appointments", "web:appointment_status"),
    (CEP, "web:dispositifs", "web:cep_modify"),
    (Right.MANAGE_STRUCTURE, "web:home", "manager:structure"),
    (Right.EXPORT_MONTHLY, "web:home", "reporting:exports"),
    (Right.IMPORT_DATA, "web:home", "imports:list"),
    (Right.VIEW_AGGREGATES, "web:home", "reporting:dashboard"),
    (Right.ORIENT, "web:dossier", "web:orient"),
    (Right.HANDLE_ORIENTATIONS, "web:home", "web:orientations_received"),
]


@pytest.mark.parametrize(("right", "page", "link"), BUTTONS, ids=[f"{r}-{p}" for r, p, _ in BUTTONS])
def test_actions_the_user_cannot_do_are_not_shown(client, world, right, page, link):
    beneficiary = world.objects["own"]["beneficiary"]
    beneficiary.status = "incomplete"  # the « Justifier » button shows on a dossier not yet justified
    beneficiary.save(update_fields=["status"])
    target = reverse(link, kwargs=world.kwargs(link, "own"))
    url = reverse(page, kwargs=world.kwargs(page, "own"))
    user = _holder(world, right)
    client.force_login(user)
    assert f'"{target}' not in client.get(url).content.decode()
    user.extra_rights = []  # back to the role's defaults: the link is there
    user.save(update_fields=["extra_rights"])
    assert f'"{target}' in client.get(url).content.decode()


@pytest.mark.parametrize("name", ["web:identity", "web:contact", "web:complements"])
def test_without_edit_dossier_the_dossier_is_read_only(client, world, name):
    user = _holder(world, ED)
    client.force_login(user)
    response = client.get(reverse(name, kwargs=world.kwargs(name, "own")))
    assert response.status_code == 200
    form = response.context["form"]
    assert all(field.disabled for field in form.fields.values())
    assert "Consultation seule" in response.content.decode()


@pytest.mark.parametrize(("method", "name"), sorted(ANY_OF_RIGHTS), ids=[n for _, n in sorted(ANY_OF_RIGHTS)])
def test_droits_a_page_of_several_rights_refuses_whoever_holds_none(client, world, method, name):
    user = world.users["manager"]
    user.extra_rights = sorted(set(Right.values) - NATIONAL_RIGHTS - set(ANY_OF_RIGHTS[(method, name)]))
    user.save(update_fields=["extra_rights"])
    client.force_login(user)
    refused = _call(client, method, reverse(name, kwargs=world.kwargs(name, "own")))
    assert refused.status_code == 403
    user.extra_rights = sorted(set(user.extra_rights) | {Right.COMMENT_REGIONAL_REPORT})
    user.save(update_fields=["extra_rights"])
    accepted = _call(client, method, reverse(name, kwargs=world.kwargs(name, "own")))
    assert accepted.status_code not in (403, 404) and accepted.status_code < 500, accepted.status_code
