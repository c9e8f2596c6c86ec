"""The rendez-vous' transitions, as data: from a status, the statuses it may go to, with the action's label.

« Non honoré » may still become « Honoré » (the person came late, or the click was a mistake: the event is then
recorded); « Honoré » and « Annulé » are final (an honoured rendez-vous has its event: correct the event itself).
"""

from .models import Status

TRANSITIONS: dict[str, dict[str, str]] = {
    Status.PLANNED: {Status.HONOURED: "Honoré", Status.NO_SHOW: "Non honoré", Status.CANCELLED: "Annuler"},
    Status.NO_SHOW: {Status.HONOURED: "Honoré"},
    Status.HONOURED: {},
    Status.CANCELLED: {},
}
# Statuses that say what happened: only a rendez-vous whose day has come can get one.
OUTCOMES = frozenset({Status.HONOURED, Status.NO_SHOW})


def allowed(status: str) -> dict[str, str]:
    """The statuses reachable from `status` (code → button label)."""
    return TRANSITIONS.get(status, {})
