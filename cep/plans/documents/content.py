"""What each document says, read from the database into plain data for the renderer (cep/plans/documents/render.py).

The synthesis follows the exit (docs/regles-cep.md §6, [000]): closed with « Formalisation projet réalisée » it has the
« formalisation du projet » part only; otherwise (« Plan d'action réalisé », another exit, or a CEP in progress)
it has both parts, « formalisation du projet » and « plan d'action ».
"""

import datetime

from cep.common.dates import fr
from cep.enrolments.models import Cep
from cep.events.models import Event
from cep.offers.models import Service

from ..models import ActionPlan, PlanStep
from ..money import euros
from ..versions import plan_totals

TITLES = {
    "niveau1": "Document de niveau 1 – Conseil en évolution professionnelle",
    "synthese": "Document de synthèse – Conseil en évolution professionnelle",
    "prise_de_recul": "Prise de recul – Conseil en évolution professionnelle",
}
SHORT_TITLES = {
    "niveau1": "Document de niveau 1",
    "synthese": "Document de synthèse",
    "prise_de_recul": "Prise de recul",
}
FORMALISATION_ONLY = "formalisation_projet_realisee"
# The document a closing offers, by exit reason ([000], exit reasons' definitions in cep/referentials/data.py).
DOCUMENT_FOR_EXIT = {
    "plan_action_realise": "synthese",
    "formalisation_projet_realisee": "synthese",
    "prise_de_recul_realisee": "prise_de_recul",
}


def _base(kind: str, *, structure, beneficiary, counselor, on: datetime.date) -> dict:
    return {
        "title": TITLES[kind],
        "short_title": SHORT_TITLES[kind],
        "structure": structure.name,
        "person": f"{beneficiary.first_name} {beneficiary.last_name.upper()}",
        "counselor": str(counselor) if counselor is not None else "",
        "date": fr(on),
    }


def level1_data(service: Service, *, counselor, on: datetime.date, texts: dict) -> dict:
    """texts: demand, need, information, decision, orientation (typed when the document is issued)."""
    data = _base("niveau1", structure=service.structure, beneficiary=service.beneficiary, counselor=counselor, on=on)
    data["service_line"] = f"{service.offer.name} ({service.service_act.label}), proposé le {fr(service.proposed_on)}."
    for name in ("demand", "need", "information", "decision", "orientation"):
        data[name] = (texts.get(name) or "").strip()
    return data


def step_back_data(cep: Cep, *, counselor, on: datetime.date, texts: dict) -> dict:
    """texts: interview_date (a date), demand, discussed, next_steps."""
    data = _base("prise_de_recul", structure=cep.structure, beneficiary=cep.beneficiary, counselor=counselor, on=on)
    data["interview_date"] = fr(texts.get("interview_date") or cep.end_date or on)
    for name in ("demand", "discussed", "next_steps"):
        data[name] = (texts.get(name) or "").strip()
    return data


def synthesis_parts(cep: Cep) -> list[str]:
    if cep.exit_reason_id == FORMALISATION_ONLY:
        return ["formalisation"]
    return ["formalisation", "plan"]


def _span(start, end) -> str:
    if start and end:
        return f"Du {fr(start)} au {fr(end)}."
    if start:
        return f"À partir du {fr(start)}."
    if end:
        return f"Échéance le {fr(end)}."
    return ""


def synthesis_data(cep: Cep, plan: ActionPlan | None, *, counselor, on: datetime.date) -> dict:
    data = _base("synthese", structure=cep.structure, beneficiary=cep.beneficiary, counselor=counselor, on=on)
    line = f"Entrée dans le CEP le {fr(cep.entry_date)}"
    if cep.end_date:
        line += f", sortie le {fr(cep.end_date)} ({cep.exit_reason.label})"
    data["cep_line"] = line + "."
    data["parts"] = synthesis_parts(cep)
    last_day = cep.end_date or on
    services = Service.objects.filter(cep=cep).select_related("offer", "service_act").order_by("proposed_on", "id")
    data["services"] = [[fr(s.proposed_on), f"{s.offer.name} ({s.service_act.label})"] for s in services]
    events = (
        Event.objects.filter(
            beneficiary_id=cep.beneficiary_id,
            structure_id=cep.structure_id,
            is_cep=True,
            is_system=False,
            date__gte=cep.entry_date,
            date__lte=last_day,
        )
        .select_related("nature", "primary_context", "secondary_context", "tertiary_context")
        .order_by("date", "id")
    )
    data["events"] = [
        [
            fr(e.date),
            e.nature.label,
            ", ".join(c.label for c in (e.primary_context, e.secondary_context, e.tertiary_context) if c is not None),
        ]
        for e in events
    ]
    data["project_type"] = cep.project_type.label if cep.project_type_id else ""
    data.update(_plan_data(plan))
    return data


def _plan_data(plan: ActionPlan | None) -> dict:
    empty = {
        "project": "",
        "strategies": "",
        "person_steps": "",
        "support_needed": "",
        "steps": [],
        "trainings": [],
        "complementary": [],
        "calendar": [],
        "lines": [],
        "totals": {k: euros(None) for k in ("total_cost", "granted", "expected", "reste_a_charge")},
    }
    if plan is None:
        return empty
    steps = list(PlanStep.objects.filter(plan=plan).prefetch_related("actions").order_by("position", "id"))
    trainings = list(plan.trainings.order_by("start_date", "id"))
    complementary = list(plan.services.select_related("service").order_by("planned_date", "id"))
    lines = list(plan.financing_lines.select_related("funder").order_by("id"))
    sums = plan_totals(plan, lines)
    calendar = []
    for index, step in enumerate(steps, start=1):
        if step.start_date:
            calendar.append((step.start_date, f"Début de l'étape {index} : {step.title}"))
        if step.target_date:
            calendar.append((step.target_date, f"Échéance de l'étape {index} : {step.title}"))
        for action in step.actions.all():
            if action.due_date:
                calendar.append((action.due_date, f"{action.label} ({action.who})"))
    for training in trainings:
        if training.start_date:
            calendar.append((training.start_date, f"Début de la formation : {training.title}"))
    for item in complementary:
        if item.planned_date:
            calendar.append((item.planned_date, item.service.label))
    calendar.sort(key=lambda row: row[0])
    return {
        "project": plan.project,
        "strategies": plan.strategies,
        "person_steps": plan.person_steps,
        "support_needed": plan.support_needed,
        "steps": [
            {
                "title": step.title,
                "objective": step.objective,
                "dates": _span(step.start_date, step.target_date),
                "actions": [[a.label, a.who, fr(a.due_date), a.get_status_display()] for a in step.actions.all()],
            }
            for step in steps
        ],
        "trainings": [
            [
                t.provider,
                t.title,
                _span(t.start_date, t.end_date),
                f"{t.certification_kind}{t.certification_code}" if t.certification_kind else "",
                " ".join(x for x in (t.formacode, t.formacode_label) if x),
                t.get_qualiopi_display(),
            ]
            for t in trainings
        ],
        "complementary": [[c.service.label, fr(c.planned_date), c.comment] for c in complementary],
        "calendar": [[fr(day), text] for day, text in calendar],
        "lines": [[x.funder.label, euros(x.amount), x.get_status_display(), x.comment] for x in lines],
        "totals": {
            "total_cost": euros(sums.total_cost),
            "granted": euros(sums.granted),
            "expected": euros(sums.expected),
            "reste_a_charge": euros(sums.reste_a_charge),
        },
    }
