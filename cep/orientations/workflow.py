"""The orientation's transitions and deadlines, as data (issue 11, part 2).

From « Envoyée » (the only open status) the receiving structure accepts or refuses, the sending structure cancels
(or the person withdraws their consent, which cancels it too), the deadlines job lets it expire; when the person is
accepted elsewhere it becomes « Obsolète ». Every other status is final.
"""

import datetime

from .models import Status

# status → {reachable status: (which side acts, button label)}; "system" is the deadlines job or another acceptance.
TRANSITIONS: dict[str, dict[str, tuple[str, str]]] = {
    Status.SENT: {
        Status.ACCEPTED: ("target", "Accepter"),
        Status.REFUSED: ("target", "Refuser"),
        Status.CANCELLED: ("source", "Annuler l'orientation"),
        Status.EXPIRED: ("system", "Expirer"),
        Status.OBSOLETE: ("system", "Rendre obsolète"),
    },
    Status.ACCEPTED: {},
    Status.REFUSED: {},
    Status.EXPIRED: {},
    Status.CANCELLED: {},
    Status.OBSOLETE: {},
}
OPEN_STATUSES = frozenset({Status.SENT})

# Without an answer, an orientation expires 30 days after its last activity; the receiving structure is reminded
# every 10 days meanwhile. A message from either side restarts both.
EXPIRY = datetime.timedelta(days=30)
REMINDER_EVERY = datetime.timedelta(days=10)

# Free texts (messages, refusals): capped, here and in the e-mails.
MAX_MESSAGE = 2000
MAX_MAIL_EXCERPT = 500


def allowed(status: str, side: str) -> dict[str, str]:
    """The statuses `side` ("source", "target", "system") may move an orientation to from `status`."""
    return {to: label for to, (who, label) in TRANSITIONS.get(status, {}).items() if who == side}


def expires_at(last_activity_at: datetime.datetime) -> datetime.datetime:
    return last_activity_at + EXPIRY


def reminder_due(
    *, last_activity_at: datetime.datetime, last_reminder_at: datetime.datetime | None, now: datetime.datetime
) -> bool:
    """A reminder is due 10 days after the last activity or the last reminder, whichever is later."""
    since = max(d for d in (last_activity_at, last_reminder_at) if d is not None)
    return now - since >= REMINDER_EVERY
