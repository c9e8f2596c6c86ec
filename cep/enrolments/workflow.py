"""The CEP lifecycle as plain data (DOMAIN.md §5). Services, pages, the API and the docs all read it."""

from django.db import models


class Status(models.TextChoices):
    PHASE2 = "phase2", "Conseil personnalisé (phase 2)"
    PHASE3 = "phase3", "Accompagnement personnalisé vers la mise en œuvre du projet (phase 3)"
    CLOSED = "closed", "Clôturé"
    DELETED = "deleted", "Supprimé"


OPEN_STATUSES = (Status.PHASE2, Status.PHASE3)

PHASE_LABELS = {
    2: "Conseil personnalisé",
    3: "Accompagnement personnalisé vers la mise en œuvre du projet",
}

# action: (allowed from statuses, to status, French label of the action)
# "reopen" goes back to the phase the CEP ended in (None = decided by the service).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None, str]] = {
    "open": (frozenset(), None, "Ajouter le dispositif CEP"),
    "move_to_phase3": (frozenset({Status.PHASE2}), Status.PHASE3, "Passer en phase 3"),
    "cancel_phase3": (frozenset({Status.PHASE3}), Status.PHASE2, "Annuler le passage en phase 3"),
    "modify": (frozenset({Status.PHASE2, Status.PHASE3}), None, "Modifier"),
    "close": (frozenset({Status.PHASE2, Status.PHASE3}), Status.CLOSED, "Clôturer le dispositif"),
    "auto_close": (frozenset({Status.PHASE2, Status.PHASE3}), Status.CLOSED, "Sortie automatique"),
    "reopen": (frozenset({Status.CLOSED}), None, "Rouvrir"),
    "delete": (frozenset({Status.PHASE2, Status.PHASE3}), Status.DELETED, "Supprimer"),
}

# Fields a counselor may change before closure (R7); the two dates are never modifiable.
MODIFIABLE_FIELDS = ("orientation_source", "request_reason", "prescriber_name", "referent_name", "project_type")

INACTIVITY_MONTHS = 6  # R9
AUTO_CLOSE_EXIT_REASON = "interruption_constatee"  # R9: the exit reason of the automatic exit
REOPEN_MONTHS = 3  # R10


def allowed_actions(status: str) -> list[str]:
    return [action for action, (sources, _, _) in TRANSITIONS.items() if status in sources]
