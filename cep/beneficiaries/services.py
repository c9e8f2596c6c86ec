"""Writes on the beneficiary dossier. One function per action, one transaction each, audited."""

from django.db import transaction
from django.utils import timezone

from cep.accounts.rights import Right
from cep.audit.services import audited
from cep.common.access import ensure_right
from cep.common.dates import fr, today
from cep.common.errors import RuleViolation, Violations
from cep.common.text import check_text, model_max_lengths

from .models import Beneficiary, DossierStatus

EDITABLE_FIELDS = (
    "last_name",
    "first_name",
    "birth_name",
    "sex",
    "birth_date",
    "email",
    "phone",
    "address",
    "commune",
    "employment_status",
    "holds_or_seeks_job",
    "qualification_level",
    "has_rqth",
    "target_rome_code",
    "first_reception_date",
    "referent",
)
# What a dossier needs before it can be « Justifié » (the characteristics national reporting needs).
REQUIRED_FOR_JUSTIFIED = {
    "birth_date": "la date de naissance",
    "sex": "le sexe",
    "employment_status": "la situation professionnelle",
    "qualification_level": "le niveau de qualification",
    "commune": "la commune de résidence",
    "first_reception_date": "la date de premier accueil",
}
_AUDIT_EXCLUDE = ("search_name", "identity_pseudonym", "updated_at", "created_at")


ANONYMISED_MESSAGE = (
    "Ce dossier a été anonymisé (durée de conservation) : il ne peut plus être modifié ni recevoir de suivi. "
    "Si la personne revient, créez-lui un nouveau dossier."
)


def ensure_not_anonymised(beneficiary: Beneficiary) -> None:
    """An anonymised dossier (cep/retention) takes no new data: its free texts would never be cleared again."""
    if beneficiary.anonymised_at is not None:
        raise RuleViolation("CONSERVATION", ANONYMISED_MESSAGE)


def _own_pk(beneficiary: Beneficiary) -> int:
    """A dossier's audit entries belong to the dossier itself."""
    return beneficiary.pk


def _check_texts(fields: dict, found: Violations) -> None:
    with found.check():
        check_text("DOSSIER", model_max_lengths(Beneficiary), **fields)
    for name in ("last_name", "first_name"):
        if name in fields and not (fields[name] or "").strip():
            label = "le nom" if name == "last_name" else "le prénom"
            found.add("DOSSIER", f"Renseignez {label}.", field=name)


def _check_dates(found: Violations, *, birth_date, first_reception_date, on=None):
    on = on or today()
    if birth_date and birth_date > on:
        found.add("DOSSIER", "La date de naissance ne peut pas être dans le futur.", field="birth_date")
    if first_reception_date and first_reception_date > on:
        found.add(
            "DOSSIER", "La date de premier accueil ne peut pas être dans le futur.", field="first_reception_date"
        )
    elif birth_date and first_reception_date and first_reception_date < birth_date <= on:  # not twice the birth
        found.add(
            "DOSSIER",
            "La date de premier accueil est antérieure à la date de naissance.",
            field="first_reception_date",
        )


def _check_referent(referent, structure_id, found: Violations):
    if referent is not None and referent.structure_id != structure_id:
        found.add("DOSSIER", "Le conseiller référent doit appartenir à la structure.", field="referent")


@transaction.atomic
def create_beneficiary(*, structure, actor, **fields) -> Beneficiary:
    ensure_right(actor, Right.MANAGE_DOSSIERS, structure.pk)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise RuleViolation("DOSSIER", f"Champs inconnus : {', '.join(sorted(unknown))}.")
    found = Violations()
    _check_texts(fields, found)
    _check_dates(found, birth_date=fields.get("birth_date"), first_reception_date=fields.get("first_reception_date"))
    fields.setdefault("referent", actor if actor is not None and actor.structure_id == structure.pk else None)
    _check_referent(fields.get("referent"), structure.pk, found)
    found.raise_if_any()
    beneficiary = Beneficiary(structure=structure, **fields)
    with audited(
        beneficiary, actor=actor, action="create_beneficiary", exclude=_AUDIT_EXCLUDE, beneficiary_id=_own_pk
    ):
        beneficiary.save()
    return beneficiary


@transaction.atomic
def update_beneficiary(*, beneficiary: Beneficiary, actor, **changes) -> Beneficiary:
    ensure_right(actor, Right.EDIT_DOSSIER, beneficiary.structure_id)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise RuleViolation("DOSSIER", f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    found = Violations()
    _check_texts(changes, found)
    found.raise_if_any()
    with audited(
        Beneficiary,
        beneficiary.pk,
        actor=actor,
        action="update_beneficiary",
        exclude=_AUDIT_EXCLUDE,
        skip_unchanged=True,
        beneficiary_id=_own_pk,
    ) as beneficiary:
        ensure_not_anonymised(beneficiary)
        for name, value in changes.items():
            setattr(beneficiary, name, value)
        _check_dates(found, birth_date=beneficiary.birth_date, first_reception_date=beneficiary.first_reception_date)
        _check_referent(beneficiary.referent, beneficiary.structure_id, found)
        if "first_reception_date" in changes and not found.on("first_reception_date"):
            first_cep = beneficiary.ceps.exclude(status="deleted").order_by("entry_date").first()
            if first_cep and beneficiary.first_reception_date > first_cep.entry_date:
                found.add(
                    "R4",
                    f"La date de premier accueil ne peut pas être postérieure à l'entrée en CEP du "
                    f"{fr(first_cep.entry_date)}.",
                    field="first_reception_date",
                )
        if beneficiary.is_justified:
            for name, label in missing_for_justification(beneficiary).items():
                found.add("R1", f"Un dossier « Justifié » doit rester complet : il manque {label}.", field=name)
        found.raise_if_any()
        previous_pseudonym = beneficiary.identity_pseudonym
        beneficiary.save()
        if beneficiary.identity_pseudonym != previous_pseudonym:
            # The CEPs carry the person's pseudonym for the double-accompaniment index (issue 11, part 3).
            beneficiary.ceps.update(identity_pseudonym=beneficiary.identity_pseudonym)
    return beneficiary


def missing_for_justification(beneficiary: Beneficiary) -> dict[str, str]:
    """Field name → French label of what the dossier still lacks before it can be « Justifié » (R1)."""
    return {
        name: label
        for name, label in REQUIRED_FOR_JUSTIFIED.items()
        if not getattr(beneficiary, name + "_id", None) and not getattr(beneficiary, name, None)
    }


@transaction.atomic
def justify_beneficiary(*, beneficiary: Beneficiary, actor) -> Beneficiary:
    """Mark the dossier complete (« Justifié »), required before a CEP (R1)."""
    ensure_right(actor, Right.EDIT_DOSSIER, beneficiary.structure_id)
    with audited(
        Beneficiary,
        beneficiary.pk,
        actor=actor,
        action="justify_beneficiary",
        exclude=_AUDIT_EXCLUDE,
        skip_unchanged=True,  # already « Justifié »: nothing written, nothing recorded
        beneficiary_id=_own_pk,
    ) as beneficiary:
        ensure_not_anonymised(beneficiary)
        if beneficiary.is_justified:
            return beneficiary
        missing = missing_for_justification(beneficiary)
        if missing:
            raise RuleViolation(
                "R1",
                f"Le dossier ne peut pas être justifié : il manque {', '.join(missing.values())}.",
                field=next(iter(missing)),
            )
        beneficiary.status, beneficiary.justified_at = DossierStatus.JUSTIFIED, timezone.now()
        beneficiary.save()
    return beneficiary


@transaction.atomic
def create_justified_beneficiary(*, structure, actor, **fields) -> Beneficiary:
    """« Créer et justifier »: the dossier created and « Justifié » in one transaction (R1).

    Every refusal at once: what the creation refuses and each field the justification still lacks (next to it);
    any refusal leaves nothing written.
    """
    ensure_right(actor, Right.EDIT_DOSSIER, structure.pk)
    found = Violations()
    beneficiary = None
    with found.check():
        beneficiary = create_beneficiary(structure=structure, actor=actor, **fields)
    for name, label in REQUIRED_FOR_JUSTIFIED.items():
        if not fields.get(name):
            found.add("R1", f"Pour justifier le dossier, renseignez {label}.", field=name)
    found.raise_if_any()  # the atomic block undoes the creation
    return justify_beneficiary(beneficiary=beneficiary, actor=actor)


@transaction.atomic
def reassign_referent(*, from_user, to_user, actor, structure) -> int:
    """Bulk reassignment when a counselor leaves: nobody is orphaned. Returns the number moved."""
    ensure_right(actor, Right.MANAGE_STRUCTURE, structure.pk)
    for user in (from_user, to_user):
        if user.structure_id != structure.pk:
            raise RuleViolation("DROITS", "Les deux conseillers doivent appartenir à la structure.")
    ids = list(Beneficiary.objects.filter(structure=structure, referent=from_user).values_list("pk", flat=True))
    Beneficiary.objects.filter(pk__in=ids).update(referent=to_user)
    from cep.audit.models import AuditEntry

    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor_id=actor.pk,
                actor_label=str(actor),
                action="reassign_referent",
                object_type="beneficiary",
                object_id=pk,
                structure_id=structure.pk,
                beneficiary_id=pk,
                before={"referent_id": from_user.pk},
                after={"referent_id": to_user.pk},
            )
            for pk in ids
        ],
        batch_size=1000,
    )
    return len(ids)
