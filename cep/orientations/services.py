"""Orienting a person to another structure and answering it (issue 11, part 2). One transaction per action,
audited; refusals are RuleViolation("ORIENTATION", …) (docs/regles-cep.md, « Orientation vers une autre
structure »).

Rights: the sending structure (A) needs « Orienter une personne vers une autre structure » to send, write, cancel
and record a withdrawal of consent; the receiving structure (B) needs « Traiter les orientations reçues » to write,
accept and refuse (and « Gérer des dossiers » when the acceptance creates its dossier).
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from cep.accounts.rights import Right
from cep.audit.services import audited
from cep.beneficiaries.models import Beneficiary
from cep.beneficiaries.queries import likely_duplicates
from cep.beneficiaries.services import create_beneficiary, ensure_not_anonymised
from cep.common.access import ensure_right
from cep.common.dates import fr, today
from cep.common.errors import RuleViolation, Violations
from cep.common.text import check_text
from cep.offers.models import Service
from cep.organisations.models import Structure
from cep.referentials.models import ConsentMode, OrientationRefusalReason, OrientationSource

from . import notify
from .models import EntryKind, Orientation, OrientationEntry, Status
from .workflow import MAX_MESSAGE, allowed, expires_at, reminder_due

RULE = "ORIENTATION"
# The summary is the dossier's copy (its fields have their own history); the answer's text is in the orientation's
# history lines, which the retention job empties with the dossier.
_EXCLUDE = ("created_at", "updated_at", "summary", "answer_comment")


def _source_structure(orientation: Orientation) -> int:
    """An orientation's audit entries belong to the sending structure and its dossier."""
    return orientation.source_structure_id


def _audited(target, pk: int | None = None, *, actor, action: str):
    """An orientation's change recorded (who, when, before, after) under its source structure, the summary's
    personal fields left out (_EXCLUDE)."""
    return audited(target, pk, actor=actor, action=action, exclude=_EXCLUDE, structure_id=_source_structure)


SYSTEM = "Système"

# The level-1 summary: the identity always goes (B must be able to find or create the person's dossier); the
# counselor chooses the rest, and the orientation keeps the exact list sent. RQTH, a sensitive datum, is never
# ticked by default.
IDENTITY_FIELDS = {
    "last_name": "Nom",
    "first_name": "Prénom",
    "birth_name": "Nom de naissance",
    "sex": "Sexe",
    "birth_date": "Date de naissance",
}
OPTIONAL_FIELDS = {
    "email": "Courriel",
    "phone": "Téléphone",
    "commune": "Commune de résidence",
    "employment_status": "Situation professionnelle",
    "qualification_level": "Niveau de qualification",
    "target_rome_code": "Code ROME du métier visé",
    "level1_services": "Services de niveau 1 proposés",
    "has_rqth": "Reconnaissance de la qualité de travailleur handicapé (RQTH)",
}
SUMMARY_FIELDS = {**IDENTITY_FIELDS, **OPTIONAL_FIELDS}
DEFAULT_FIELDS = tuple(name for name in OPTIONAL_FIELDS if name != "has_rqth")
# The summary's fields a new dossier of B takes (the others are read, not copied).
_DOSSIER_FIELDS = (
    "last_name",
    "first_name",
    "birth_name",
    "sex",
    "birth_date",
    "email",
    "phone",
    "commune",
    "employment_status",
    "qualification_level",
    "target_rome_code",
)


# --- Summary ---------------------------------------------------------------------------------------------------


def _item(name: str, value, display: str) -> dict:
    return {"label": SUMMARY_FIELDS[name], "value": value, "display": display}


def level1_summary(beneficiary: Beneficiary, fields) -> dict:
    """{field: {label, value, display}} of the identity and the chosen fields, as they are now."""
    b = beneficiary
    out = {
        "last_name": _item("last_name", b.last_name, b.last_name.upper()),
        "first_name": _item("first_name", b.first_name, b.first_name),
        "birth_name": _item("birth_name", b.birth_name, b.birth_name or "—"),
        "sex": _item("sex", b.sex, b.get_sex_display()),
        "birth_date": _item("birth_date", b.birth_date.isoformat(), fr(b.birth_date)),
    }
    for name in fields:
        if name in ("commune", "employment_status", "qualification_level"):
            related = getattr(b, name)
            out[name] = _item(name, getattr(b, name + "_id"), str(related) if related else "Non renseigné")
        elif name == "has_rqth":
            out[name] = _item(name, b.has_rqth, "Oui" if b.has_rqth else "Non")
        elif name == "level1_services":
            rows = (
                Service.objects.filter(beneficiary=b, structure_id=b.structure_id, is_cep_level1=True)
                .select_related("offer")
                .order_by("proposed_on", "id")
            )
            services = [f"{s.offer.name} (proposé le {fr(s.proposed_on)})" for s in rows]
            out[name] = _item(name, services, " ; ".join(services) or "Aucun")
        else:
            value = getattr(b, name) or ""
            out[name] = _item(name, value, value or "Non renseigné")
    return out


def aiguilleur_for(source: Structure, target: Structure) -> OrientationSource:
    """The aiguilleur of the person's CEP at B: « Autre Mission Locale » (read « Autre structure de mon réseau »
    outside the Missions locales) within one network, else the aiguilleur of the source network (France Travail,
    Cap emploi, APEC, opérateur régional…), else « Autre » (e.g. a Mission locale orienting to another network)."""
    if source.network_id == target.network_id:
        return OrientationSource.objects.get(pk="autre_mission_locale")
    found = OrientationSource.objects.filter(network_id=source.network_id).order_by("position").first()
    return found or OrientationSource.objects.get(pk="autre")


# --- History and e-mails --------------------------------------------------------------------------------------


def _entry(orientation: Orientation, kind: str, actor, structure_name: str = "", comment: str = "", at=None):
    return OrientationEntry.objects.create(
        orientation=orientation,
        kind=kind,
        at=at or timezone.now(),
        author=actor,
        author_label=str(actor) if actor is not None else SYSTEM,
        structure_name=structure_name,
        comment=comment,
    )


def _target_recipients(orientation: Orientation) -> list[str]:
    """B's contact e-mail, else the e-mails of its staff who handle the orientations it receives."""
    structure = orientation.target_structure
    if structure.contact_email:
        return [structure.contact_email]
    from cep.accounts.models import User

    users = User.objects.filter(structure=structure, is_active=True).exclude(email="")
    return [u.email for u in users if u.has_right(Right.HANDLE_ORIENTATIONS)]


def _source_recipients(orientation: Orientation) -> list[str]:
    return [orientation.counselor.email] if orientation.counselor.is_active else []


def _who(orientation: Orientation) -> str:
    return f"{orientation.summary.get('first_name', {}).get('display', '')} " + (
        orientation.summary.get("last_name", {}).get("display", "")
    )


# --- Checks -------------------------------------------------------------------------------------------------


def _check_comment(text: str, field: str = "comment", *, required: bool = False) -> str:
    text = (text or "").strip()
    check_text(RULE, **{field: text})
    if len(text) > MAX_MESSAGE:
        raise RuleViolation(RULE, f"Le message ne dépasse pas {MAX_MESSAGE} caractères.", field=field)
    if required and not text:
        raise RuleViolation(RULE, "Écrivez un message.", field=field)
    return text


def _ensure_transition(orientation: Orientation, status: str, side: str) -> None:
    if status not in allowed(orientation.status, side):
        raise RuleViolation(
            RULE,
            f"Une orientation « {orientation.get_status_display()} » ne peut plus passer à "
            f"« {Status(status).label} ».",
            field="status",
        )


def _lock(orientation: Orientation) -> Orientation:
    return Orientation.objects.select_for_update().get(pk=orientation.pk)


# --- Sending (A) ----------------------------------------------------------------------------------------------


@transaction.atomic
def send_orientation(
    *,
    beneficiary: Beneficiary,
    actor,
    target: Structure,
    consent_mode: ConsentMode,
    consent_on: datetime.date | None = None,
    fields=DEFAULT_FIELDS,
    comment: str = "",
) -> Orientation:
    """Orient the person of A's dossier to structure `target`, with their consent (recorded by `actor`, given on
    `consent_on`, today by default) and the level-1 summary of `fields` (the identity always goes)."""
    ensure_right(actor, Right.ORIENT, beneficiary.structure_id)
    ensure_not_anonymised(beneficiary)
    found = Violations()
    source = beneficiary.structure
    if target is None:
        found.add(RULE, "Choisissez la structure vers laquelle orienter la personne.", field="target")
    elif target.pk == source.pk:
        found.add(RULE, "Une orientation va vers une autre structure que la vôtre.", field="target")
    unknown = sorted(set(fields) - set(OPTIONAL_FIELDS))
    if unknown:
        found.add(RULE, f"Champs inconnus : {', '.join(unknown)}.", field="fields")
    day = consent_on or today()
    if consent_mode is None:
        found.add(RULE, "Indiquez comment la personne a donné son consentement.", field="consent_mode")
    elif not consent_mode.is_valid_on(day):
        found.add(RULE, f"« {consent_mode.label} » n'est pas valide à cette date.", field="consent_mode")
    if day > today():
        found.add(RULE, "Le consentement ne peut pas être daté dans le futur.", field="consent_on")
    with found.check():
        comment = _check_comment(comment)
    found.raise_if_any()
    _ensure_no_open_duplicate(beneficiary, target)
    now = timezone.now()
    consent_at = now if day == today() else timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    ordered = [name for name in OPTIONAL_FIELDS if name in set(fields)]
    summary = level1_summary(beneficiary, ordered)
    orientation = Orientation(
        beneficiary=beneficiary,
        source_structure=source,
        target_structure=target,
        counselor=actor,
        identity_pseudonym=beneficiary.identity_pseudonym,
        source_structure_name=source.name,
        source_network_label=str(source.network),
        target_structure_name=target.name,
        target_network_label=str(target.network),
        summary=summary,
        sent_fields=list(summary),
        comment=comment,
        orientation_source=aiguilleur_for(source, target),
        consent_mode=consent_mode,
        consent_recorded_by=actor,
        consent_at=consent_at,
        sent_at=now,
        last_activity_at=now,
    )
    try:
        with (
            transaction.atomic(),
            _audited(orientation, actor=actor, action="send_orientation"),
        ):
            orientation.save()
    except IntegrityError:  # the same person oriented to the same structure at the same moment
        raise RuleViolation(RULE, "Une orientation de cette personne vers cette structure est déjà en cours.")
    _entry(orientation, EntryKind.SENT, actor, source.name, comment, at=now)
    notify.later(
        _target_recipients(orientation),
        f"Nouvelle orientation reçue de {source.name}",
        [
            f"{source.name} ({source.network}) oriente {_who(orientation)} vers {target.name}.",
            "Consultez la synthèse de niveau 1 et répondez dans les 30 jours dans l'application "
            "(menu « Orientations reçues »).",
        ],
        comment,
    )
    return orientation


def _ensure_no_open_duplicate(beneficiary: Beneficiary, target: Structure) -> None:
    """Friendly refusal before the database's (one open orientation per person and target structure)."""
    if Orientation.objects.filter(
        identity_pseudonym=beneficiary.identity_pseudonym, target_structure=target, status=Status.SENT
    ).exists():
        raise RuleViolation(RULE, "Une orientation de cette personne vers cette structure est déjà en cours.")


# --- Messages (both sides) ------------------------------------------------------------------------------------


def side_of(actor, orientation: Orientation) -> str | None:
    """ "source" (A), "target" (B) or None (neither: an administrator without a structure only reads)."""
    structure_id = getattr(actor, "structure_id", None)
    if structure_id is not None and structure_id == orientation.source_structure_id:
        return "source"
    if structure_id is not None and structure_id == orientation.target_structure_id:
        return "target"
    return None


def _ensure_side(actor, orientation: Orientation, side: str) -> None:
    """The right of the side, then the side itself: the sending structure sends, cancels and records a
    withdrawal; the receiving structure answers."""
    right = Right.ORIENT if side == "source" else Right.HANDLE_ORIENTATIONS
    ensure_right(actor, right)
    structure_id = orientation.source_structure_id if side == "source" else orientation.target_structure_id
    if actor is not None and actor.structure_id != structure_id:
        if actor.structure_id not in (orientation.source_structure_id, orientation.target_structure_id):
            raise RuleViolation("DROITS", "Cette orientation ne concerne pas votre structure.")
        raise RuleViolation(
            RULE,
            "Seule la structure d'origine annule une orientation ou enregistre le retrait du consentement."
            if side == "source"
            else "Seule la structure destinataire accepte ou refuse une orientation.",
        )


@transaction.atomic
def post_message(*, orientation: Orientation, actor, text: str) -> OrientationEntry:
    """A message from either side while the orientation waits: it restarts the expiry and reminder clocks."""
    side = side_of(actor, orientation)
    if side is None:
        raise RuleViolation("DROITS", "Cette orientation ne concerne pas votre structure.")
    _ensure_side(actor, orientation, side)
    text = _check_comment(text, "text", required=True)
    with _audited(Orientation, orientation.pk, actor=actor, action="orientation_message") as o:
        if not o.is_open:
            raise RuleViolation(RULE, f"Cette orientation est « {o.get_status_display()} » : elle est close.")
        now = timezone.now()
        o.last_activity_at, o.last_reminder_at = now, None
        o.save()
        name = o.source_structure_name if side == "source" else o.target_structure_name
        entry = _entry(o, EntryKind.MESSAGE, actor, name, text, at=now)
    recipients = _target_recipients(o) if side == "source" else _source_recipients(o)
    notify.later(recipients, f"Nouveau message sur l'orientation de {_who(o)}", [f"{name} a écrit :"], text)
    return entry


# --- Answers (B) ----------------------------------------------------------------------------------------------


def match_candidates(orientation: Orientation) -> list[Beneficiary]:
    """B's dossiers that may be this person: the same identity pseudonym, or the duplicate detection of the
    creation form (same birth date, name one typo away)."""
    s = orientation.summary
    birth_date = datetime.date.fromisoformat(s["birth_date"]["value"])
    found = {
        b.pk: b
        for b in likely_duplicates(
            structure_id=orientation.target_structure_id,
            last_name=s["last_name"]["value"],
            first_name=s["first_name"]["value"],
            birth_date=birth_date,
        )
    }
    same = Beneficiary.objects.filter(
        structure_id=orientation.target_structure_id, identity_pseudonym=orientation.identity_pseudonym
    ).exclude(pk__in=found)
    for b in same:
        found[b.pk] = b
    return [b for b in found.values() if b.anonymised_at is None]


def _new_dossier_fields(orientation: Orientation) -> dict:
    """The fields of B's new dossier, from the summary as sent (referential codes read back as rows)."""
    from cep.organisations.models import Commune
    from cep.referentials.models import EmploymentStatus, QualificationLevel

    related = {"commune": Commune, "employment_status": EmploymentStatus, "qualification_level": QualificationLevel}
    fields = {}
    for name in _DOSSIER_FIELDS:
        if name not in orientation.summary:
            continue
        value = orientation.summary[name]["value"]
        if name == "birth_date":
            fields[name] = datetime.date.fromisoformat(value)
        elif name in related:
            fields[name] = related[name].objects.filter(pk=value).first() if value else None
        else:
            fields[name] = value or ""
    return fields


@transaction.atomic
def accept_orientation(
    *, orientation: Orientation, actor, match: Beneficiary | None = None, new_dossier: bool = False
) -> Orientation:
    """B accepts: `match` is one of match_candidates() (the person already has a dossier at B), else B's dossier
    is created from the summary — when dossiers may match, only if B says none is the person (`new_dossier`).
    The person's other open orientations become « Obsolète »."""
    _ensure_side(actor, orientation, "target")
    with _audited(Orientation, orientation.pk, actor=actor, action="accept_orientation") as orientation:
        _ensure_transition(orientation, Status.ACCEPTED, "target")
        candidates = {b.pk: b for b in match_candidates(orientation)}
        if match is not None:
            if match.pk not in candidates:
                raise RuleViolation(
                    RULE,
                    "Ce dossier ne correspond pas à la personne orientée, ou n'est pas de votre structure.",
                    field="match",
                )
            dossier = candidates[match.pk]
        else:
            if candidates and not new_dossier:
                names = ", ".join(f"{b} (né(e) le {fr(b.birth_date)})" for b in candidates.values())
                raise RuleViolation(
                    RULE,
                    f"La personne a peut-être déjà un dossier dans votre structure : {names}. Choisissez-le pour "
                    "éviter un doublon.",
                    field="match",
                    details={"candidates": sorted(candidates)},
                )
            dossier = create_beneficiary(
                structure=orientation.target_structure,
                actor=actor,
                first_reception_date=today(),
                **_new_dossier_fields(orientation),
            )
        now = timezone.now()
        orientation.status, orientation.answered_at, orientation.answered_by = Status.ACCEPTED, now, actor
        orientation.target_beneficiary = dossier
        orientation.save()
        _entry(orientation, EntryKind.ACCEPTED, actor, orientation.target_structure_name, at=now)
        _close_obsolete(orientation, now)
    notify.later(
        _source_recipients(orientation),
        f"Orientation acceptée par {orientation.target_structure_name}",
        [f"{orientation.target_structure_name} a accepté l'orientation de {_who(orientation)}."],
    )
    return orientation


def _close_obsolete(accepted: Orientation, now) -> None:
    """The person's other open orientations (to any structure): they are now followed by B."""
    others = (
        Orientation.objects.select_for_update()
        .filter(identity_pseudonym=accepted.identity_pseudonym, status=Status.SENT)
        .exclude(pk=accepted.pk)
    )
    for other in others:
        with _audited(other, actor=None, action="orientation_obsolete") as other:
            other.status, other.answered_at = Status.OBSOLETE, now
            other.save()
        _entry(
            other,
            EntryKind.OBSOLETE,
            None,
            "",
            f"La personne a été accueillie par une autre structure le {fr(now.date())}.",
            at=now,
        )


@transaction.atomic
def refuse_orientation(*, orientation: Orientation, actor, reason: OrientationRefusalReason, comment: str = ""):
    """B declines, with a reason of the referential (valid today) and a message."""
    _ensure_side(actor, orientation, "target")
    found = Violations()
    if reason is None:
        found.add(RULE, "Choisissez le motif du refus.", field="reason")
    elif not reason.is_valid_on(today()):
        found.add(RULE, f"Le motif « {reason.label} » n'est plus en vigueur.", field="reason")
    with found.check():
        comment = _check_comment(comment)
    found.raise_if_any()
    with _audited(Orientation, orientation.pk, actor=actor, action="refuse_orientation") as orientation:
        _ensure_transition(orientation, Status.REFUSED, "target")
        now = timezone.now()
        orientation.status, orientation.answered_at, orientation.answered_by = Status.REFUSED, now, actor
        orientation.refusal_reason, orientation.answer_comment = reason, comment
        orientation.save()
        _entry(
            orientation,
            EntryKind.REFUSED,
            actor,
            orientation.target_structure_name,
            f"Motif : {reason.label}" + (f". {comment}" if comment else ""),
            at=now,
        )
    notify.later(
        _source_recipients(orientation),
        f"Orientation refusée par {orientation.target_structure_name}",
        [
            f"{orientation.target_structure_name} a refusé l'orientation de {_who(orientation)} (motif : "
            f"{reason.label})."
        ],
        comment,
    )
    return orientation


# --- Cancelling (A) ------------------------------------------------------------------------------------------


@transaction.atomic
def cancel_orientation(*, orientation: Orientation, actor, comment: str = "") -> Orientation:
    _ensure_side(actor, orientation, "source")
    comment = _check_comment(comment)
    with _audited(Orientation, orientation.pk, actor=actor, action="cancel_orientation") as orientation:
        _ensure_transition(orientation, Status.CANCELLED, "source")
        orientation.status, orientation.answered_at = Status.CANCELLED, timezone.now()
        orientation.save()
        _entry(orientation, EntryKind.CANCELLED, actor, orientation.source_structure_name, comment)
    notify.later(
        _target_recipients(orientation),
        f"Orientation annulée par {orientation.source_structure_name}",
        [f"{orientation.source_structure_name} a annulé l'orientation de {_who(orientation)}."],
        comment,
    )
    return orientation


@transaction.atomic
def withdraw_consent(*, orientation: Orientation, actor) -> Orientation:
    """The person withdraws their consent (recorded by A): a waiting orientation is cancelled; a closed one not
    accepted keeps no summary (nothing crosses any more). An accepted one already crossed: B's dossier is B's."""
    _ensure_side(actor, orientation, "source")
    with _audited(Orientation, orientation.pk, actor=actor, action="withdraw_orientation_consent") as orientation:
        if orientation.consent_withdrawn_at is not None:
            raise RuleViolation(RULE, "Le retrait du consentement est déjà enregistré.", field="consent")
        now = timezone.now()
        orientation.consent_withdrawn_at, orientation.consent_withdrawn_by = now, actor
        was_open = orientation.is_open
        if was_open:
            orientation.status, orientation.answered_at = Status.CANCELLED, now
        if orientation.status != Status.ACCEPTED:
            identity = {k: v for k, v in orientation.summary.items() if k in IDENTITY_FIELDS}
            orientation.summary = identity if was_open else {}
            orientation.comment = ""
        orientation.save()
        _entry(orientation, EntryKind.CONSENT_WITHDRAWN, actor, orientation.source_structure_name, at=now)
        if was_open:
            _entry(
                orientation,
                EntryKind.CANCELLED,
                actor,
                orientation.source_structure_name,
                "La personne a retiré son consentement.",
                at=now,
            )
    if was_open:
        notify.later(
            _target_recipients(orientation),
            f"Orientation annulée par {orientation.source_structure_name}",
            [
                "La personne a retiré son consentement : l'orientation envoyée par "
                f"{orientation.source_structure_name} est annulée."
            ],
        )
    return orientation


# --- Deadlines (the daily job) -------------------------------------------------------------------------------


def run_deadlines(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Expire the orientations without activity for 30 days, remind B of the others every 10 days.
    Idempotent: a second run at the same moment finds nothing to do. Returns (expired, reminded)."""
    now = now or timezone.now()
    expired = reminded = 0
    ids = list(Orientation.objects.filter(status=Status.SENT).order_by("id").values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            o = Orientation.objects.select_for_update(skip_locked=True).filter(pk=pk, status=Status.SENT).first()
            if o is None:
                continue
            if now >= expires_at(o.last_activity_at):
                with _audited(o, actor=None, action="expire_orientation") as o:
                    o.status, o.answered_at = Status.EXPIRED, now
                    o.save()
                _entry(o, EntryKind.EXPIRED, None, "", "Sans réponse depuis 30 jours.", at=now)
                notify.later(
                    _source_recipients(o) + _target_recipients(o),
                    f"Orientation expirée : {_who(o)}",
                    [f"L'orientation de {_who(o)} vers {o.target_structure_name} a expiré sans réponse."],
                )
                expired += 1
            elif reminder_due(last_activity_at=o.last_activity_at, last_reminder_at=o.last_reminder_at, now=now):
                with _audited(o, actor=None, action="remind_orientation") as o:
                    o.last_reminder_at = now
                    o.save()
                left = (expires_at(o.last_activity_at) - now).days
                _entry(o, EntryKind.REMINDER, None, "", f"Expire dans {left} jours sans réponse.", at=now)
                notify.later(
                    _target_recipients(o),
                    f"Rappel : orientation en attente de {o.source_structure_name}",
                    [
                        f"L'orientation de {_who(o)} envoyée par {o.source_structure_name} attend votre réponse ; "
                        f"elle expirera dans {left} jours."
                    ],
                )
                reminded += 1
    return expired, reminded
