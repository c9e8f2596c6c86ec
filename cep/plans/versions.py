"""A version is the whole plan as the person would read it: sections of items, each item a list of labelled fields.

`snapshot(plan)` gives that JSON (stored in PlanVersion.data); `compare(a, b)` lists exactly the fields that differ,
item by item (an item is known by its id, so a renamed step is a change, not a removal and an addition).
"""

from dataclasses import dataclass

from cep.common.dates import fr

from .models import ActionPlan
from .money import Line, euros, totals

SECTIONS = ("plan", "steps", "actions", "trainings", "services", "lines")
SECTION_LABELS = {
    "plan": "Plan",
    "steps": "Étapes",
    "actions": "Actions",
    "trainings": "Parcours de formation",
    "services": "Prestations complémentaires",
    "lines": "Plan de financement",
}


def _text(value) -> str:
    return "" if value is None else str(value)


def plan_items(plan: ActionPlan) -> dict[str, list[dict]]:
    """Every item of the plan, with the relations already loaded (one query per section)."""
    steps = list(plan.steps.prefetch_related("actions").order_by("position", "id"))
    return {
        "steps": steps,
        "trainings": list(plan.trainings.all()),
        "services": list(plan.services.select_related("service")),
        "lines": list(plan.financing_lines.select_related("funder")),
    }


def plan_totals(plan: ActionPlan, lines=None):
    lines = plan.financing_lines.select_related("funder") if lines is None else lines
    return totals((Line(x.amount, x.status, x.funder.is_person) for x in lines), plan.total_cost)


def snapshot(plan: ActionPlan) -> dict:
    items = plan_items(plan)
    sums = plan_totals(plan, items["lines"])
    data: dict[str, dict] = {s: {} for s in SECTIONS}
    data["plan"]["0"] = {
        "_title": "Plan d'action",
        "Description du projet": plan.project,
        "Stratégies envisagées": plan.strategies,
        "Démarches personnelles": plan.person_steps,
        "Appui nécessaire": plan.support_needed,
        "Coût total du parcours": euros(plan.total_cost),
        "Total accordé": euros(sums.granted),
        "Reste à charge": euros(sums.reste_a_charge),
    }
    for index, step in enumerate(items["steps"], start=1):
        data["steps"][str(step.pk)] = {
            "_title": f"Étape {index} « {step.title} »",
            "Étape": step.title,
            "Objectif intermédiaire": step.objective,
            "Début prévu": fr(step.start_date),
            "Échéance": fr(step.target_date),
        }
        for action in step.actions.all():
            data["actions"][str(action.pk)] = {
                "_title": f"Action « {action.label} » (étape {index})",
                "Action": action.label,
                "Qui": action.who,
                "Quand": fr(action.due_date),
                "État": action.get_status_display(),
            }
    for training in items["trainings"]:
        certification = (
            f"{training.certification_kind}{training.certification_code}" if training.certification_kind else ""
        )
        data["trainings"][str(training.pk)] = {
            "_title": f"Formation « {training.title} »",
            "Organisme": training.provider,
            "Intitulé": training.title,
            "Date de début": fr(training.start_date),
            "Date de fin": fr(training.end_date),
            "Certification": certification,
            "Formacode": " ".join(x for x in (training.formacode, training.formacode_label) if x),
            "Qualiopi": training.get_qualiopi_display(),
        }
    for service in items["services"]:
        data["services"][str(service.pk)] = {
            "_title": f"Prestation « {service.service.label} »",
            "Prestation": service.service.label,
            "Date prévue": fr(service.planned_date),
            "Précisions": service.comment,
        }
    for line in items["lines"]:
        data["lines"][str(line.pk)] = {
            "_title": f"Financement « {line.funder.label} »",
            "Financeur": line.funder.label,
            "Montant": euros(line.amount),
            "État": line.get_status_display(),
            "Précisions": line.comment,
        }
    return data


@dataclass(frozen=True)
class Change:
    section: str
    item: str
    field: str
    before: str
    after: str


def compare(before: dict, after: dict) -> list[Change]:
    """The fields whose text differs between two snapshots, in the order of the plan; an item present on one
    side only shows each of its non-empty fields against an empty side."""
    changes = []
    for section in SECTIONS:
        old_items, new_items = before.get(section, {}), after.get(section, {})
        ids = list(old_items) + [i for i in new_items if i not in old_items]
        for item_id in ids:
            old, new = old_items.get(item_id, {}), new_items.get(item_id, {})
            title = new.get("_title") or old.get("_title", "")
            fields = [f for f in old if f != "_title"] + [f for f in new if f != "_title" and f not in old]
            for name in fields:
                a, b = _text(old.get(name, "")), _text(new.get(name, ""))
                if a != b:
                    changes.append(Change(SECTION_LABELS[section], title, name, a, b))
    return changes
