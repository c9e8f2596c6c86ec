"""Who may act on which structure's data. Refusals are RuleViolation("DROITS", …).

Every right of `cep.accounts.rights.Right` is checked here, by the domain (services and queries), so that the pages
and the API inherit the same refusals; the pages and the API only check earlier to answer 403 before any work.
"""

from cep.accounts.rights import Right, Role

from .errors import RuleViolation


def rights_message(rights) -> str:
    """« Vous n'avez pas le droit « … ». » naming every right the actor lacks."""
    labels = [f"« {Right(r).label} »" for r in rights]
    if len(labels) == 1:
        return f"Vous n'avez pas le droit {labels[0]}."
    return f"Vous n'avez pas les droits {', '.join(labels)}."


def missing_rights(actor, *rights) -> list[str]:
    """The rights among `rights` that the actor does not hold (all of them for an anonymous or inactive user)."""
    if not getattr(actor, "is_authenticated", False):
        return list(rights)
    return [r for r in rights if not actor.has_right(r)]


def ensure_right(actor, right: Right, structure_id: int | None = None) -> None:
    if actor is None:
        return  # system actions (automatic exit, generator)
    if not actor.has_right(right):
        raise RuleViolation("DROITS", rights_message([right]))
    if structure_id is not None and not can_see_structure(actor, structure_id):
        raise RuleViolation("DROITS", "Ce dossier n'appartient pas à votre structure.")


def can_view_dossiers(actor) -> bool:
    """Staff of a structure holding « Consulter les informations d'un dossier »; observers never see a person."""
    return bool(getattr(actor, "sees_personal_data", False)) and not missing_rights(actor, Right.VIEW_DOSSIER)


def ensure_can_view_dossiers(actor) -> None:
    if actor is None:
        return
    if not getattr(actor, "sees_personal_data", False):
        raise RuleViolation("DROITS", "Votre rôle donne accès aux indicateurs agrégés uniquement.")
    if not actor.has_right(Right.VIEW_DOSSIER):
        raise RuleViolation("DROITS", rights_message([Right.VIEW_DOSSIER]))


def can_see_structure(actor, structure_id: int) -> bool:
    if actor.role in (Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER):
        return False  # observers never see personal data
    if actor.structure_id is None:
        return actor.role == Role.ADMIN
    return actor.structure_id == structure_id
