"""Who may act on which structure's data. Refusals are RuleViolation("DROITS", …)."""

from cep.accounts.rights import Right, Role

from .errors import RuleViolation


def ensure_right(actor, right: Right, structure_id: int | None = None) -> None:
    if actor is None:
        return  # system actions (automatic exit, generator)
    if not actor.has_right(right):
        raise RuleViolation("DROITS", f"Vous n'avez pas le droit « {Right(right).label} ».")
    if structure_id is not None and not can_see_structure(actor, structure_id):
        raise RuleViolation("DROITS", "Ce dossier n'appartient pas à votre structure.")


def can_see_structure(actor, structure_id: int) -> bool:
    if actor.role in (Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER):
        return False  # observers never see personal data
    if actor.structure_id is None:
        return actor.role == Role.ADMIN
    return actor.structure_id == structure_id
