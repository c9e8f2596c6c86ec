"""DROITS in cep/common/access.py: who may act on which structure's data, and the French refusals.

Accepted and refused cases for each check: the right held or not, the structure its own or another, an observer,
an administrator without a structure, an anonymous user, the system (no actor).
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from cep.accounts.rights import Right, Role
from cep.common.access import (
    can_see_structure,
    can_view_dossiers,
    ensure_can_view_dossiers,
    ensure_right,
    missing_rights,
    rights_message,
)
from cep.common.errors import RuleViolation
from tests.factories import UserFactory, region, withdraw

pytestmark = pytest.mark.django_db


def refused(fn, *args) -> str:
    with pytest.raises(RuleViolation) as err:
        fn(*args)
    assert err.value.rule == "DROITS"
    return err.value.message


def test_droits_message_names_one_right_or_several():
    assert rights_message([Right.EVENTS]) == "Vous n'avez pas le droit « Événements »."
    assert rights_message([Right.EVENTS, Right.PROPOSE_CEP]) == (
        "Vous n'avez pas les droits « Événements », « Proposer CEP »."
    )


def test_droits_missing_rights_of_a_counselor_and_of_an_anonymous_user(counselor):
    assert missing_rights(counselor, Right.EVENTS, Right.EXPORT_MONTHLY) == [Right.EXPORT_MONTHLY]
    assert missing_rights(counselor, Right.EVENTS) == []
    assert missing_rights(AnonymousUser(), Right.EVENTS) == [Right.EVENTS]


def test_droits_ensure_right_accepts_the_own_structure_and_refuses_another(counselor, structure, other_structure):
    assert ensure_right(counselor, Right.PROPOSE_CEP, structure.pk) is None
    assert ensure_right(counselor, Right.PROPOSE_CEP) is None  # no structure to check
    assert refused(ensure_right, counselor, Right.PROPOSE_CEP, other_structure.pk) == (
        "Ce dossier n'appartient pas à votre structure."
    )


def test_droits_ensure_right_refuses_a_withdrawn_right_even_in_the_own_structure(counselor, structure):
    withdraw(counselor, Right.PROPOSE_CEP)
    assert refused(ensure_right, counselor, Right.PROPOSE_CEP, structure.pk) == (
        "Vous n'avez pas le droit « Proposer CEP »."
    )
    assert refused(ensure_right, counselor, Right.PROPOSE_CEP) == "Vous n'avez pas le droit « Proposer CEP »."


def test_droits_system_actions_have_no_actor(structure):
    assert ensure_right(None, Right.PROPOSE_CEP, structure.pk) is None
    assert ensure_can_view_dossiers(None) is None


@pytest.mark.parametrize("role", [Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER])
def test_droits_observers_see_no_structure_and_no_dossier(refdata, structure, role):
    observer = UserFactory(username=f"obs_{role}", role=role, structure=None, region=_region(role))
    assert can_see_structure(observer, structure.pk) is False  # a bool (-> bool), not merely falsy
    assert not can_view_dossiers(observer)
    assert refused(ensure_can_view_dossiers, observer) == "Votre rôle donne accès aux indicateurs agrégés uniquement."
    assert refused(ensure_right, observer, Right.VIEW_AGGREGATES, structure.pk) == (
        "Ce dossier n'appartient pas à votre structure."
    )


@pytest.mark.parametrize("role", [Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER])
def test_droits_observers_given_personal_rights_by_mistake_still_see_nothing(refdata, structure, role):
    """Even with every right stored on the account (a wrong grant), an observer reads no person's data."""
    # Not saved: the database refuses an observer with a structure; the rule must refuse it anyway.
    observer = UserFactory.build(
        role=role, structure=structure, region=_region(role), extra_rights=sorted(Right.values)
    )
    assert observer.has_right(Right.VIEW_DOSSIER)
    assert not can_see_structure(observer, structure.pk)
    assert not can_view_dossiers(observer)
    assert refused(ensure_can_view_dossiers, observer) == "Votre rôle donne accès aux indicateurs agrégés uniquement."
    assert refused(ensure_right, observer, Right.PROPOSE_CEP, structure.pk) == (
        "Ce dossier n'appartient pas à votre structure."
    )


def test_droits_an_administrator_without_structure_sees_every_structure(refdata, structure, other_structure):
    admin = UserFactory(username="admin", role=Role.ADMIN, structure=None)
    assert can_see_structure(admin, structure.pk) and can_see_structure(admin, other_structure.pk)
    assert can_view_dossiers(admin)
    assert ensure_can_view_dossiers(admin) is None


@pytest.mark.parametrize("role", [Role.COUNSELOR, Role.MANAGER])
def test_droits_staff_without_a_structure_see_no_structure(refdata, structure, role):
    user = UserFactory.build(role=role, structure=None)  # the database refuses it; the rule refuses it anyway
    assert not can_see_structure(user, structure.pk)


def test_droits_an_administrator_of_a_structure_sees_that_structure_only(refdata, structure, other_structure):
    admin = UserFactory(username="admin_s", role=Role.ADMIN, structure=structure)
    assert can_see_structure(admin, structure.pk)
    assert not can_see_structure(admin, other_structure.pk)


def test_droits_viewing_dossiers_needs_the_right(counselor):
    assert can_view_dossiers(counselor)
    assert ensure_can_view_dossiers(counselor) is None
    withdraw(counselor, Right.VIEW_DOSSIER)
    assert not can_view_dossiers(counselor)
    assert refused(ensure_can_view_dossiers, counselor) == (
        "Vous n'avez pas le droit « Consulter les informations d'un dossier »."
    )


def test_droits_an_inactive_or_anonymous_user_views_no_dossier(counselor):
    assert not can_view_dossiers(AnonymousUser())
    counselor.is_active = False
    assert not can_view_dossiers(counselor)


def _region(role):
    return region() if role == Role.REGIONAL_OBSERVER else None


def test_droits_an_actor_that_is_not_a_user_holds_no_right():
    assert missing_rights(None, Right.EVENTS, Right.PROPOSE_CEP) == [Right.EVENTS, Right.PROPOSE_CEP]
    assert not can_view_dossiers(None)


def test_droits_an_anonymous_user_is_refused_the_dossiers_in_french():
    assert refused(ensure_can_view_dossiers, AnonymousUser()) == (
        "Votre rôle donne accès aux indicateurs agrégés uniquement."
    )
