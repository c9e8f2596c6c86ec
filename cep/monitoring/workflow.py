"""The report's workflow as data ([002] « Les modalités du suivi »): the draft is shared with the région's CEP
operators, then presented to the CREFOP, then sent to France compétences. One state machine; each transition
names its source, its target, the date it records and the rule id of its refusals."""

from dataclasses import dataclass

DRAFT = "brouillon"
SHARED = "partage"
PRESENTED = "presente_crefop"
TRANSMITTED = "transmis"

STATES = [
    (DRAFT, "Brouillon"),
    (SHARED, "Partagé aux opérateurs"),
    (PRESENTED, "Présenté au CREFOP"),
    (TRANSMITTED, "Transmis à France compétences"),
]
STATE_LABELS = dict(STATES)
RULE = "SUIVI"


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    date_field: str
    label: str
    refusal: str  # the French message when the exercise is not in `source`


TRANSITIONS = {
    t.action: t
    for t in (
        Transition(
            "share",
            DRAFT,
            SHARED,
            "shared_on",
            "Partager le projet aux opérateurs",
            "Seul un brouillon peut être partagé aux opérateurs.",
        ),
        Transition(
            "present",
            SHARED,
            PRESENTED,
            "presented_on",
            "Présenté au CREFOP",
            "Le rapport doit d'abord être partagé aux opérateurs du CEP de la région, puis présenté au CREFOP.",
        ),
        Transition(
            "transmit",
            PRESENTED,
            TRANSMITTED,
            "transmitted_on",
            "Transmis à France compétences",
            "Le rapport doit d'abord être présenté au CREFOP avant d'être transmis à France compétences.",
        ),
    )
}
# The date each state was reached, in order: a transition's date can be neither before the previous one nor later
# than today.
DATE_FIELDS = ["shared_on", "presented_on", "transmitted_on"]


def allowed_actions(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if t.source == state]
