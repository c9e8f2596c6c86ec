"""Reads on beneficiary dossiers (selectors). Pages and the API call these; writes go through services.py.

Every function takes the acting user and scopes to what they may see (`Beneficiary.objects.visible_to`: their
structure; an administrator without a structure sees every structure). Observers never see personal data.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from cep.audit.services import log_sensitive_access
from cep.common import keyset
from cep.common.access import can_see_structure
from cep.common.dates import add_months, today
from cep.common.errors import RuleViolation
from cep.common.text import normalize_name
from cep.enrolments.models import Cep
from cep.enrolments.workflow import INACTIVITY_MONTHS, OPEN_STATUSES, Status

from . import services
from .models import Beneficiary


def get_dossier(actor, pk: int) -> Beneficiary:
    """One dossier with what every dossier page shows in its header (one query). Raises DoesNotExist."""
    return (
        Beneficiary.objects.visible_to(actor)
        .select_related("referent", "structure__network", "employment_status")
        .get(pk=pk)
    )


def read_rqth(actor, beneficiary: Beneficiary, *, channel: str) -> bool:
    """The person's RQTH, a sensitive datum: every read is logged here (who, whose, through which channel),
    once per display. Pages and the API read it through this function only."""
    if not can_see_structure(actor, beneficiary.structure_id):
        raise RuleViolation("DROITS", "Ce dossier n'appartient pas à votre structure.")
    log_sensitive_access(actor=actor, beneficiary_id=beneficiary.pk, channel=channel, field="rqth")
    return beneficiary.has_rqth


# --- Search with keyset pagination -------------------------------------------------------------------------


@dataclass
class SearchPage:
    rows: list
    next_cursor: str | None
    has_previous: bool


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
    """Search a structure's dossiers, ordered by (search_name, id), one page after `cursor`.

    Name: accent- and case-insensitive « contains » on `search_name`; PostgreSQL answers it with the trigram
    index (migration 0002) or walks the (structure, search_name, id) index in order, whichever is cheaper.
    cep_state: "phase2", "phase3" (a CEP in progress in that phase), "open" (either), "closed" (a closed CEP
    and none in progress), "none" (never had a CEP).
    """
    qs = Beneficiary.objects.visible_to(actor)
    needle = normalize_name(name)
    if needle:
        qs = qs.filter(search_name__contains=needle)
    if birth_date:
        qs = qs.filter(birth_date=birth_date)
    if status:
        qs = qs.filter(status=status)
    if referent_id:
        qs = qs.filter(referent_id=referent_id)
    if cep_state:
        ceps = Cep.objects.filter(beneficiary_id=OuterRef("pk"), structure_id=OuterRef("structure_id"))
        if cep_state in (Status.PHASE2, Status.PHASE3):
            qs = qs.filter(Exists(ceps.filter(status=cep_state)))
        elif cep_state == "open":
            qs = qs.filter(Exists(ceps.filter(status__in=OPEN_STATUSES)))
        elif cep_state == "closed":
            qs = qs.filter(Exists(ceps.filter(status=Status.CLOSED))).exclude(
                Exists(ceps.filter(status__in=OPEN_STATUSES))
            )
        elif cep_state == "none":
            qs = qs.exclude(Exists(ceps.exclude(status=Status.DELETED)))
    after = keyset.decode(cursor, SEARCH_KEY)  # a cursor the user tampered with: the first page, never a 500
    if after:
        qs = qs.filter(Q(search_name__gt=after[0]) | Q(search_name=after[0], id__gt=after[1]))
    rows = list(qs.select_related("referent").order_by("search_name", "id")[: page_size + 1])
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        next_cursor = keyset.encode((rows[-1].search_name, rows[-1].pk))
    return SearchPage(rows=rows, next_cursor=next_cursor, has_previous=after is not None)


# --- Duplicates --------------------------------------------------------------------------------------------


def levenshtein_at_most_one(a: str, b: str) -> bool:
    """True when `a` and `b` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def likely_duplicates(*, structure_id: int, last_name: str, first_name: str, birth_date: datetime.date) -> list:
    """Dossiers of the structure with the same birth date and the same normalised name, or one typo away.

    The (structure, birth_date) index returns the few people born that day; names are compared in Python.
    """
    wanted = normalize_name(f"{last_name} {first_name}")
    candidates = Beneficiary.objects.filter(structure_id=structure_id, birth_date=birth_date).select_related(
        "referent"
    )
    return [b for b in candidates.order_by("search_name", "id") if levenshtein_at_most_one(b.search_name, wanted)]


# --- Dossier -----------------------------------------------------------------------------------------------


def missing_for_justification(beneficiary: Beneficiary) -> list[str]:
    """The French labels of what the dossier still lacks before it can be « Justifié » (the service's rule)."""
    return list(services.missing_for_justification(beneficiary).values())


# --- Home page ---------------------------------------------------------------------------------------------


def my_beneficiaries(actor, limit: int = 10) -> list:
    """The actor's own dossiers (referent), first `limit` by name (index referent, search_name, id)."""
    return list(Beneficiary.objects.visible_to(actor).filter(referent=actor).order_by("search_name", "id")[:limit])


def _scoped_ceps(actor, *, whole_structure: bool):
    qs = Cep.objects.visible_to(actor)
    if not whole_structure:
        qs = qs.filter(beneficiary__referent=actor)
    return qs


def ceps_in_progress_by_phase(actor, *, whole_structure: bool = False, limit: int = 10) -> dict:
    """{"phase2": {"count": n, "rows": [...]}, "phase3": {...}}: counts and the most recent entries."""
    qs = _scoped_ceps(actor, whole_structure=whole_structure).filter(status__in=OPEN_STATUSES)
    counts = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    result = {}
    for status in (Status.PHASE2, Status.PHASE3):
        rows = list(qs.filter(status=status).select_related("beneficiary").order_by("-entry_date", "-id")[:limit])
        result[str(status)] = {"label": status.label, "count": counts.get(status, 0), "rows": rows}
    return result


def ceps_closing_soon(actor, *, whole_structure: bool = False, within_days: int = 30, limit: int = 50) -> list:
    """CEPs in progress whose automatic exit (R9) falls within `within_days`: no manifestation for 5 months.

    Each row gets `expected_end_date` = last manifestation (or entry date) + 6 months.
    """
    day = today()
    horizon = day + datetime.timedelta(days=within_days)
    cutoff = add_months(horizon, -INACTIVITY_MONTHS)  # expected end ≤ horizon ⇔ last manifestation ≤ cutoff
    rows = list(
        _scoped_ceps(actor, whole_structure=whole_structure)
        .filter(status__in=OPEN_STATUSES, last_manifestation_date__lte=cutoff)
        .select_related("beneficiary")
        .order_by("last_manifestation_date", "id")[:limit]
    )
    for cep in rows:
        cep.expected_end_date = add_months(cep.last_manifestation_date or cep.entry_date, INACTIVITY_MONTHS)
    return rows


# --- Communes (residence) ----------------------------------------------------------------------------------


def search_communes(text: str, limit: int = 10) -> list:
    """Communes whose postal code or INSEE code starts with the digits typed, or whose name starts with the text."""
    from cep.organisations.models import Commune

    text = (text or "").strip()
    if len(text) < 2:
        return []
    if text[:2].isdigit() or text[:2].upper() in ("2A", "2B"):
        qs = Commune.objects.filter(Q(postal_code__startswith=text) | Q(code__startswith=text.upper()))
    else:
        qs = Commune.objects.filter(name__istartswith=text)
    rows = list(qs.order_by("-population", "name")[: max(limit, 50)])
    exact = [c for c in rows if normalize_name(c.name) == normalize_name(text)]
    return exact if len(exact) == 1 else rows[:limit]
