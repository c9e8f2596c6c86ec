"""Reads on CEP dispositifs (selectors), shared by pages and the API. Scoped by `Cep.objects.visible_to(user)`.

Also the reads on dossiers that look at their CEPs (the search by CEP state, the home page's CEP lists):
enrolments is the top domain layer, the only one that may read both (docs/decisions.md, 2026-12-01).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from cep.audit.models import AuditEntry
from cep.beneficiaries.models import Beneficiary
from cep.beneficiaries.queries import has_typo_fallback, matches, parse_search_text, words_filter
from cep.common import keyset
from cep.common.access import ensure_can_view_dossiers
from cep.common.dates import add_months, today

from .models import Cep
from .workflow import INACTIVITY_MONTHS, OPEN_STATUSES, Status, in_phase_on, inactivity_cutoff


def cep_history(cep: Cep) -> QuerySet:
    """The audit entries of one CEP (R12: who, when, what before, what after), oldest first."""
    return AuditEntry.objects.filter(object_type="cep", object_id=cep.pk).order_by("id")


def with_action_facts(qs: QuerySet) -> QuerySet:
    """What workflow.allowed_actions reads besides the CEP row, fetched in the same query (none per CEP shown):
    the structure (R6), the exit reason (R10), whether another CEP of the person is in progress there (R2) and the
    entry of a later CEP that a reopening would overlap (R2, successive CEPs)."""
    others = Cep.objects.filter(
        beneficiary_id=OuterRef("beneficiary_id"), structure_id=OuterRef("structure_id"), status__in=OPEN_STATUSES
    ).exclude(pk=OuterRef("pk"))
    later = (
        Cep.objects.filter(
            beneficiary_id=OuterRef("beneficiary_id"),
            structure_id=OuterRef("structure_id"),
            status=Status.CLOSED,
            end_date__gt=OuterRef("entry_date"),
        )
        .exclude(pk=OuterRef("pk"))
        .order_by("entry_date")
        .values("entry_date")[:1]
    )
    return qs.select_related("structure", "exit_reason").annotate(
        other_cep_in_progress=Exists(others), later_cep_entry=Subquery(later)
    )


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


def history_rows(entries, *, network: str | None = None) -> list[dict]:
    """Audit entries turned into timeline rows: who, when, action, and (label, before, after) in French.

    Referential codes become their labels with one query per referential kind present, whatever the length, as a
    user of `network` reads them (cep/referentials/labels.py: « Ma ML » is « Ma structure » outside the ML).
    """
    from cep.referentials import models as ref
    from cep.referentials.labels import label_for_network

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
            return label_for_network(labels.get(name, {}).get(value, value), network)
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


# --- Dossier search, with keyset pagination and the CEP state ----------------------------------------------


COUNT_CAP = 1000  # beyond, the total shows « plus de 1 000 »: counting further costs without helping anyone


@dataclass
class SearchPage:
    rows: list
    next_cursor: str | None
    has_previous: bool
    total: int = 0  # capped at COUNT_CAP + 1
    approximate: bool = False  # « Résultats approchants »: the exact search found nobody, one typo per word allowed

    @property
    def total_capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def total_label(self) -> str:
        if self.total_capped:
            return f"plus de {COUNT_CAP:,} personnes".replace(",", "\u202f")
        if self.total == 0:
            return "aucune personne"
        return f"{self.total:,} personne{'s' if self.total > 1 else ''}".replace(",", "\u202f")


# The sort key of the search, hence the shape of its cursor: (search_name, id).
SEARCH_KEY = (str, int)


def search_beneficiaries(
    actor,
    *,
    name: str = "",
    birth_date: datetime.date | None = None,
    status: str = "",
    referent_id: int | None = None,
    cep_state: str = "",
    cursor: str | None = None,
    page_size: int = 20,
) -> SearchPage:
    """Search a structure's dossiers, ordered by (search_name, id), one page after `cursor`, with the total.

    Name: what was typed in the one box (cep.beneficiaries.queries.parse_search_text: names in any order, each
    word a prefix of a word of the name, accents and case ignored; a birth date jj/mm/aaaa; a phone number),
    looked up in the structure's words (beneficiaries_nameword). When nobody matches, the same search allowing
    one typo per word (« Résultats approchants »). Raises SearchTextError for an impossible date.
    cep_state: "phase2", "phase3" (a CEP in progress in that phase), "open" (either), "closed" (a closed CEP
    and none in progress), "none" (never had a CEP).
    """
    ensure_can_view_dossiers(actor)
    terms = parse_search_text(name)
    qs = Beneficiary.objects.visible_to(actor)
    if birth_date:
        qs = qs.filter(birth_date=birth_date)
    if status:
        qs = qs.filter(status=status)
    if referent_id:
        qs = qs.filter(referent_id=referent_id)
    if cep_state:
        ceps = Cep.objects.filter(beneficiary_id=OuterRef("pk"), structure_id=OuterRef("structure_id"))
        if cep_state in (Status.PHASE2, Status.PHASE3):  # the phase today: phase 2 until the eve of phase 3
            qs = qs.filter(Exists(ceps.filter(in_phase_on(2 if cep_state == Status.PHASE2 else 3, today()))))
        elif cep_state == "open":
            qs = qs.filter(Exists(ceps.filter(status__in=OPEN_STATUSES)))
        elif cep_state == "closed":
            qs = qs.filter(Exists(ceps.filter(status=Status.CLOSED))).exclude(
                Exists(ceps.filter(status__in=OPEN_STATUSES))
            )
        elif cep_state == "none":
            qs = qs.exclude(Exists(ceps.exclude(status=Status.DELETED)))
    after = keyset.decode(cursor, SEARCH_KEY)  # a cursor the user tampered with: the first page, never a 500
    narrowed = bool(birth_date or status or referent_id or cep_state or terms.birth_date)
    rows, total = _search(actor, qs, terms, after, page_size, narrowed=narrowed, typos=False)
    approximate = False
    if total == 0 and has_typo_fallback(terms):
        rows, total = _search(actor, qs, terms, after, page_size, narrowed=narrowed, typos=True)
        approximate = total > 0
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        next_cursor = keyset.encode((rows[-1].search_name, rows[-1].pk))
    return SearchPage(
        rows=rows, next_cursor=next_cursor, has_previous=after is not None, total=total, approximate=approximate
    )


def _search(actor, qs, terms, after, page_size: int, *, narrowed: bool, typos: bool) -> tuple[list, int]:
    """One page and the total (capped), by the cheapest road for what was typed.

    Words typed by someone of a structure, without other filter: the words index gives the matches in name order
    (`matches`, one query for the total and the first page), then the page's dossiers are read by primary key.
    Otherwise the dossiers are filtered (EXISTS on the words) and PostgreSQL chooses.
    """
    if actor.structure_id is None or narrowed or not (terms.words or terms.phone):
        return _page(qs.filter(words_filter(terms, typos=typos)), after, page_size)
    first = matches(actor.structure_id, terms, typos=typos, limit=COUNT_CAP + 1)
    if not first:
        return [], 0
    keys = (
        first[: page_size + 1]
        if after is None
        else matches(actor.structure_id, terms, typos=typos, after=after, limit=page_size + 1)
    )
    if not keys:
        return [], len(first)
    rows = list(qs.filter(pk__in=[pk for _, pk in keys]).select_related("referent").order_by("search_name", "id"))
    return rows, len(first)


def _page(qs, after, page_size: int) -> tuple[list, int]:
    """One page (page_size + 1 rows, to know whether another follows) and the total.

    A first page that is not full is the whole result: its length is the total, no count query.
    """
    page = qs
    if after:
        page = qs.filter(Q(search_name__gt=after[0]) | Q(search_name=after[0], id__gt=after[1]))
    rows = list(page.select_related("referent").order_by("search_name", "id")[: page_size + 1])
    if after is None and len(rows) <= page_size:
        return rows, len(rows)
    return rows, _capped_count(qs)


def _capped_count(qs) -> int:
    """How many rows, counted up to COUNT_CAP + 1 (one query; stops early on a common name)."""
    return qs.order_by().values("pk")[: COUNT_CAP + 1].count()


# --- Home page: CEPs in progress ---------------------------------------------------------------------------


def _scoped_ceps(actor, *, whole_structure: bool):
    qs = Cep.objects.visible_to(actor)
    if not whole_structure:
        qs = qs.filter(beneficiary__referent=actor)
    return qs


def ceps_in_progress_by_phase(actor, *, whole_structure: bool = False, limit: int = 10) -> dict:
    """{"phase2": {"count": n, "rows": [...]}, "phase3": {...}}: counts and the most recent entries, by the phase
    each CEP is in today (a phase 3 dated later counts in phase 2 until its eve, workflow.in_phase_on)."""
    qs = _scoped_ceps(actor, whole_structure=whole_structure).filter(status__in=OPEN_STATUSES)
    day = today()
    counts = qs.aggregate(
        phase2=Count("id", filter=in_phase_on(2, day)), phase3=Count("id", filter=in_phase_on(3, day))
    )
    result = {}
    for phase, status in ((2, Status.PHASE2), (3, Status.PHASE3)):
        rows = list(
            qs.filter(in_phase_on(phase, day)).select_related("beneficiary").order_by("-entry_date", "-id")[:limit]
        )
        result[str(status)] = {"label": status.label, "count": counts[str(status)], "rows": rows}
    return result


def ceps_closing_soon(actor, *, whole_structure: bool = False, within_days: int = 30, limit: int = 50) -> list:
    """CEPs in progress whose automatic exit (R9) falls within `within_days`: no manifestation for 5 months.

    Each row gets `expected_end_date` = last manifestation (or entry date) + 6 months.
    """
    day = today()
    horizon = day + datetime.timedelta(days=within_days)
    cutoff = inactivity_cutoff(horizon)  # expected end ≤ horizon ⇔ last manifestation ≤ cutoff
    rows = list(
        _scoped_ceps(actor, whole_structure=whole_structure)
        .filter(status__in=OPEN_STATUSES, last_manifestation_date__lte=cutoff)
        .select_related("beneficiary")
        .order_by("last_manifestation_date", "id")[:limit]
    )
    for cep in rows:
        cep.expected_end_date = add_months(cep.last_manifestation_date or cep.entry_date, INACTIVITY_MONTHS)
    return rows
