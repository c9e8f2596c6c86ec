"""DROITS: each role's default rights, as the counselor-portal guide [003] lists them (docs/regles-cep.md §1).

The table is pinned right by right: a right added by mistake (an observer able to read a person's dossier, a
counselor producing the monthly file) fails here before it reaches a page.
"""

import pytest

from cep.accounts.rights import NATIONAL_RIGHTS, ROLE_RIGHTS, Right, Role
from tests.factories import UserFactory, region

COUNSELOR = {
    Right.MANAGE_DOSSIERS,
    Right.MANAGE_OFFERS,
    Right.VIEW_DOSSIER,
    Right.EDIT_DOSSIER,
    Right.EVENTS,
    Right.PROPOSE_CEP,
    Right.ORIENT,  # issue 11: orient a person to another structure, handle the orientations received
    Right.HANDLE_ORIENTATIONS,
}
EXPECTED = {
    Role.COUNSELOR: COUNSELOR,
    Role.MANAGER: COUNSELOR
    | {
        Right.MANAGE_STRUCTURE,
        Right.VIEW_AGGREGATES,
        Right.EXPORT_MONTHLY,
        Right.COMMENT_REGIONAL_REPORT,
        Right.IMPORT_DATA,
    },
    Role.ADMIN: set(Right),
    Role.REGIONAL_OBSERVER: {Right.VIEW_AGGREGATES, Right.REGIONAL_MONITORING},
    Role.NATIONAL_OBSERVER: {Right.VIEW_AGGREGATES, Right.RECEIVE_MONTHLY, Right.READ_REGIONAL_REPORTS},
}
PERSONAL = {
    Right.MANAGE_DOSSIERS,
    Right.VIEW_DOSSIER,
    Right.EDIT_DOSSIER,
    Right.EVENTS,
    Right.PROPOSE_CEP,
    Right.ORIENT,
    Right.HANDLE_ORIENTATIONS,
}


@pytest.mark.parametrize("role", list(Role))
def test_droits_default_rights_of_each_role(role):
    assert set(ROLE_RIGHTS[role]) == EXPECTED[role]


@pytest.mark.parametrize("role", [Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER])
def test_droits_observers_hold_no_right_on_a_person_or_a_structure(role):
    rights = ROLE_RIGHTS[role]
    assert Right.VIEW_AGGREGATES in rights
    assert not rights & (PERSONAL | {Right.MANAGE_OFFERS, Right.MANAGE_STRUCTURE, Right.EXPORT_MONTHLY})


def test_droits_only_the_national_observer_and_the_admin_receive_the_monthly_files():
    assert NATIONAL_RIGHTS == {Right.RECEIVE_MONTHLY, Right.READ_REGIONAL_REPORTS}
    holders = {role for role, rights in ROLE_RIGHTS.items() if Right.RECEIVE_MONTHLY in rights}
    assert holders == {Role.NATIONAL_OBSERVER, Role.ADMIN}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER])
def test_droits_an_observer_account_has_its_roles_rights_only(refdata, role):
    observer = UserFactory(username=f"obs_{role}", role=role, structure=None, region=_region(role))
    assert observer.rights == EXPECTED[role]
    assert observer.has_right(Right.VIEW_AGGREGATES)
    assert not any(observer.has_right(r) for r in PERSONAL)


def _region(role):
    return region() if role == Role.REGIONAL_OBSERVER else None
