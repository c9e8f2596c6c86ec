"""The directory entry of a structure (issue 11, rule ANNUAIRE): its manager edits it, in one transaction, audited
with the départements before and after; anyone else is refused and nothing is written."""

import pytest

from cep.accounts.rights import Right, Role
from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from cep.organisations.services import update_directory_entry
from tests.factories import UserFactory, withdraw

pytestmark = pytest.mark.django_db

ENTRY = {
    "served_departments": ["2B", "2A"],
    "public": "Jeunes de 16 à 25 ans",
    "contact_email": "contact@ml-ajaccio.example.org",
    "contact_phone": "04 95 00 00 00",
    "address": "1 cours Napoléon, 20000 Ajaccio",
}


def _entry(structure):
    structure.refresh_from_db()
    return (
        sorted(structure.served_departments.values_list("code", flat=True)),
        structure.public,
        structure.contact_email,
        structure.contact_phone,
        structure.address,
    )


def test_annuaire_the_manager_edits_the_entry_and_the_change_is_audited(structure, manager):
    update_directory_entry(structure=structure, actor=manager, **ENTRY)
    assert _entry(structure) == (
        ["2A", "2B"],
        *[ENTRY[k] for k in ("public", "contact_email", "contact_phone", "address")],
    )
    entry = AuditEntry.objects.get(action="update_directory_entry")
    assert entry.actor_id == manager.pk and entry.structure_id == structure.pk and entry.at is not None
    assert entry.before["served_departments"] == [] and entry.before["public"] == ""
    assert entry.after["served_departments"] == ["2A", "2B"] and entry.after["public"] == ENTRY["public"]
    assert entry.after["contact_email"] == ENTRY["contact_email"]


def test_annuaire_only_the_fields_given_change_and_an_unchanged_entry_writes_nothing(structure, manager):
    update_directory_entry(structure=structure, actor=manager, **ENTRY)
    update_directory_entry(structure=structure, actor=manager, public="Tout public")
    assert _entry(structure)[0] == ["2A", "2B"] and _entry(structure)[1:3] == ("Tout public", ENTRY["contact_email"])
    audits = AuditEntry.objects.count()
    update_directory_entry(structure=structure, actor=manager, public="Tout public", served_departments=["2A", "2B"])
    assert AuditEntry.objects.count() == audits
    update_directory_entry(structure=structure, actor=manager, served_departments=[])  # back to its own département
    assert _entry(structure)[0] == []
    assert AuditEntry.objects.latest("pk").after["served_departments"] == []


@pytest.mark.parametrize(
    ("field", "value", "rule", "message"),
    [
        ("public", "x" * 256, "ANNUAIRE", "Ce texte ne dépasse pas 255 caractères."),
        ("address", "x" * 256, "ANNUAIRE", "Ce texte ne dépasse pas 255 caractères."),
        ("contact_phone", "0" * 21, "ANNUAIRE", "Ce texte ne dépasse pas 20 caractères."),
        ("contact_phone", "appelez-nous", "ANNUAIRE", "Le téléphone ne contient que des chiffres"),
        ("contact_phone", "04 95", "ANNUAIRE", "Le téléphone ne contient que des chiffres"),
        ("contact_email", "pas-un-courriel", "ANNUAIRE", "adresse électronique valide"),
        ("public", "nul\x00", "ANNUAIRE", "caractères non autorisés"),
        ("served_departments", ["2A", "99"], "REFERENTIEL", "Département inconnu : 99."),
        ("served_departments", [str(n) for n in range(1000, 1121)], "ANNUAIRE", "120 départements au plus"),
    ],
)
def test_annuaire_a_faulty_field_is_refused_and_nothing_is_written(structure, manager, field, value, rule, message):
    with pytest.raises(RuleViolation) as refused:
        update_directory_entry(structure=structure, actor=manager, **{**ENTRY, field: value})
    assert refused.value.rule == rule and refused.value.field == field and message in refused.value.message
    assert _entry(structure) == ([], "", "", "", "")
    assert not AuditEntry.objects.filter(action="update_directory_entry").exists()


def test_annuaire_every_faulty_field_is_refused_at_once(structure, manager):
    with pytest.raises(RuleViolation) as refused:
        update_directory_entry(
            structure=structure, actor=manager, public="x" * 300, contact_email="@", served_departments=["00"]
        )
    assert [v.field for v in refused.value.violations] == ["public", "contact_email", "served_departments"]


def test_droits_a_manager_of_another_structure_is_refused(structure, other_structure, manager):
    with pytest.raises(RuleViolation) as refused:
        update_directory_entry(structure=other_structure, actor=manager, **ENTRY)
    assert refused.value.rule == "DROITS"
    assert _entry(other_structure) == ([], "", "", "", "")
    assert not AuditEntry.objects.filter(action="update_directory_entry").exists()


@pytest.mark.parametrize("role", [Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER])
def test_droits_an_observer_is_refused(structure, role):
    observer = UserFactory(username=f"obs_{role}", role=role, structure=None, region_id="94")
    with pytest.raises(RuleViolation) as refused:
        update_directory_entry(structure=structure, actor=observer, **ENTRY)
    assert refused.value.rule == "DROITS" and "« Gérer la structure" in refused.value.message
    assert _entry(structure) == ([], "", "", "", "")


def test_droits_a_counselor_and_a_manager_without_the_right_are_refused(structure, counselor, manager):
    withdraw(manager, Right.MANAGE_STRUCTURE)
    for actor in (counselor, manager):
        with pytest.raises(RuleViolation) as refused:
            update_directory_entry(structure=structure, actor=actor, public="Tout public")
        assert refused.value.rule == "DROITS"
    assert not AuditEntry.objects.filter(action="update_directory_entry").exists()


def test_an_administrator_without_a_structure_edits_any_entry(structure):
    admin = UserFactory(username="administrateur", role=Role.ADMIN, structure=None)
    update_directory_entry(structure=structure, actor=admin, public="Tout public")
    assert _entry(structure)[1] == "Tout public"


def test_a_field_that_is_not_of_the_directory_is_a_programming_error(structure, manager):
    with pytest.raises(TypeError):
        update_directory_entry(structure=structure, actor=manager, name="Autre nom")
