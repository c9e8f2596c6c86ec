"""Reads on CEP dispositifs (selectors), shared by pages and the API. Scoped by `Cep.objects.visible_to(user)`."""

from django.db.models import Exists, OuterRef, QuerySet

from cep.audit.models import AuditEntry

from .models import Cep
from .workflow import OPEN_STATUSES


def cep_history(cep: Cep) -> QuerySet:
    """The audit entries of one CEP (R12: who, when, what before, what after), oldest first."""
    return AuditEntry.objects.filter(object_type="cep", object_id=cep.pk).order_by("id")


def with_action_facts(qs: QuerySet) -> QuerySet:
    """What workflow.allowed_actions reads besides the CEP row, fetched in the same query (none per CEP shown):
    the structure (R6), the exit reason (R10) and whether another CEP of the person is in progress there (R2)."""
    others = Cep.objects.filter(
        beneficiary_id=OuterRef("beneficiary_id"), structure_id=OuterRef("structure_id"), status__in=OPEN_STATUSES
    ).exclude(pk=OuterRef("pk"))
    return qs.select_related("structure", "exit_reason").annotate(other_cep_in_progress=Exists(others))


def dossier_ceps(user, beneficiary) -> list:
    """The CEPs of one dossier shown in Suivi › Dispositifs (deleted ones are gone), newest first."""
    return list(
        with_action_facts(Cep.objects.visible_to(user))
        .filter(beneficiary=beneficiary)
        .exclude(status="deleted")
        .select_related("orientation_source", "request_reason", "project_type")
        .order_by("-entry_date", "-id")
    )


# French labels of the audited fields of a CEP, and the referential each foreign key points to.
_HISTORY_FIELDS = {
    "status": "État",
    "orientation_source_id": "Aiguilleur",
    "initial_interview_date": "Date d'entretien d'initialisation",
    "entry_date": "Date d'entrée",
    "entry_phase": "Phase d'entrée",
    "request_reason_id": "Motif de la sollicitation",
    "prescriber_name": "Nom du prescripteur",
    "referent_name": "Nom du référent",
    "project_type_id": "Type de projet",
    "phase2_entry_date": "Entrée en phase 2",
    "phase2_end_date": "Fin de la phase 2",
    "phase3_entry_date": "Entrée en phase 3",
    "end_date": "Date de fin réelle",
    "exit_reason_id": "Motif de sortie",
    "ended_in_phase": "Phase à la clôture",
    "auto_closed": "Sortie automatique",
    "last_manifestation_date": "Dernière manifestation",
}
_ACTION_LABELS = {
    "open": "Ajout du dispositif",
    "move_to_phase3": "Passage en phase 3",
    "cancel_phase3": "Annulation du passage en phase 3",
    "modify": "Modification",
    "close": "Clôture",
    "auto_close": "Sortie automatique",
    "reopen": "Réouverture",
    "delete": "Suppression",
}


def history_rows(entries) -> list[dict]:
    """Audit entries turned into timeline rows: who, when, action, and (label, before, after) in French.

    Referential codes become their labels with one query per referential kind present, whatever the length.
    """
    import datetime

    from cep.referentials import models as ref

    from .workflow import Status

    refs = {
        "orientation_source_id": ref.OrientationSource,
        "request_reason_id": ref.RequestReason,
        "project_type_id": ref.ProjectType,
        "exit_reason_id": ref.ExitReason,
    }
    entries = list(entries)
    codes: dict[str, set] = {name: set() for name in refs}
    for entry in entries:
        for side in (entry.before or {}, entry.after or {}):
            for name in refs:
                if side.get(name):
                    codes[name].add(side[name])
    labels = {
        name: dict(model.objects.filter(pk__in=codes[name]).values_list("code", "label"))
        for name, model in refs.items()
        if codes[name]
    }
    status_labels = dict(Status.choices)

    def show(name, value):
        if value in (None, ""):
            return "—"
        if name in refs:
            return labels.get(name, {}).get(value, value)
        if name == "status":
            return status_labels.get(value, value)
        if isinstance(value, bool):
            return "oui" if value else "non"
        if isinstance(value, str) and len(value) == 10 and value[4] == "-":
            try:
                return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                return value
        if name in ("entry_phase", "ended_in_phase"):
            return f"Phase {value}"
        return str(value)

    rows = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        changes = []
        for name, label in _HISTORY_FIELDS.items():
            old, new = before.get(name), after.get(name)
            if entry.before is None and new in (None, "", False):
                continue
            if old != new:
                changes.append(
                    {"label": label, "before": show(name, old) if entry.before else None, "after": show(name, new)}
                )
        rows.append(
            {
                "at": entry.at,
                "who": entry.actor_label or "Système",
                "action": _ACTION_LABELS.get(entry.action, entry.action),
                "changes": changes,
            }
        )
    return rows
