"""Changes to a structure's own data. One transaction each, audited.

The directory entry (annuaire des structures, issue 11) is what other structures read to choose whom to orient a
person to: the territory served, the public, the contact details and the address. Its manager keeps it up to date
(right « Gérer la structure »); the measured answer delay is computed from the orientations, never typed.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from cep.accounts.rights import Right
from cep.audit.services import record, snapshot
from cep.common.access import can_see_structure, ensure_right
from cep.common.errors import RuleViolation, Violations
from cep.common.text import check_text, model_max_lengths

from .models import Department, Structure

# The directory fields a manager edits, in the order of the form.
DIRECTORY_FIELDS = ("served_departments", "public", "contact_email", "contact_phone", "address")
_TEXT_FIELDS = ("public", "contact_email", "contact_phone", "address")
_PHONE = re.compile(r"\+?[0-9 .()\-]*")
_MIN_PHONE_DIGITS = 6
# Past the number of départements (101): a list this long is not a territory, it is a mistake.
MAX_SERVED_DEPARTMENTS = 120


def directory_snapshot(structure: Structure) -> dict:
    """The structure's row and the codes of the départements it serves (a many-to-many: not in snapshot())."""
    data = snapshot(structure)
    data["served_departments"] = sorted(structure.served_departments.values_list("code", flat=True))
    return data


def _check(structure: Structure, values: dict) -> list[str] | None:
    """Refuse every faulty field at once (rule ANNUAIRE, unknown départements REFERENTIEL); the département codes to
    store (None when unchanged)."""
    found = Violations()
    texts = {name: values[name] for name in _TEXT_FIELDS if name in values}
    with found.check():
        check_text("ANNUAIRE", model_max_lengths(Structure), **texts)
    email = texts.get("contact_email")
    if email and not found.on("contact_email"):
        try:
            validate_email(email)
        except ValidationError:
            found.add("ANNUAIRE", "Saisissez une adresse électronique valide.", field="contact_email")
    phone = texts.get("contact_phone")
    if phone and not found.on("contact_phone"):
        if not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < _MIN_PHONE_DIGITS:
            found.add(
                "ANNUAIRE",
                "Le téléphone ne contient que des chiffres (6 au moins), des espaces et les signes + . - ( ).",
                field="contact_phone",
            )
    codes = None
    if values.get("served_departments") is not None:
        codes = sorted({str(code).strip().upper() for code in values["served_departments"]} - {""})
        if len(codes) > MAX_SERVED_DEPARTMENTS:
            found.add(
                "ANNUAIRE",
                f"Une structure dessert {MAX_SERVED_DEPARTMENTS} départements au plus.",
                field="served_departments",
            )
        else:
            known = set(Department.objects.filter(code__in=codes).values_list("code", flat=True))
            unknown = [code for code in codes if code not in known]
            if unknown:
                found.add(
                    "REFERENTIEL",
                    f"Département inconnu : {', '.join(unknown)}."
                    if len(unknown) == 1
                    else f"Départements inconnus : {', '.join(unknown)}.",
                    field="served_departments",
                )
    found.raise_if_any()
    return codes


@transaction.atomic
def update_directory_entry(*, structure: Structure, actor, **values) -> Structure:
    """Change the directory fields of a structure (only those given; `served_departments`: département codes, an
    empty list meaning the structure's own département). A manager changes their own structure only (DROITS); an
    unchanged entry writes nothing. Audited with the codes of the départements before and after."""
    unknown = set(values) - set(DIRECTORY_FIELDS)
    if unknown:
        raise TypeError(f"update_directory_entry: not a directory field: {sorted(unknown)}")
    values = {name: value for name, value in values.items() if value is not None}  # None: unchanged
    ensure_right(actor, Right.MANAGE_STRUCTURE)
    if actor is not None and not can_see_structure(actor, structure.pk):
        raise RuleViolation("DROITS", "Vous ne pouvez modifier que la fiche de votre structure.")
    structure = Structure.objects.select_for_update().get(pk=structure.pk)
    before = directory_snapshot(structure)
    codes = _check(structure, values)
    changed = [name for name in _TEXT_FIELDS if name in values and getattr(structure, name) != values[name]]
    for name in changed:
        setattr(structure, name, values[name])
    if changed:
        structure.save(update_fields=changed)
    if codes is not None and codes != before["served_departments"]:
        structure.served_departments.set(codes)
    after = directory_snapshot(structure)
    if after != before:
        record(
            actor=actor,
            action="update_directory_entry",
            obj=structure,
            before=before,
            after=after,
            structure_id=structure.pk,
        )
    return structure
