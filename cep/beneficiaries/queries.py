"""Reads on beneficiary dossiers (selectors). Pages and the API call these; writes go through services.py.

Every function takes the acting user and scopes to what they may see (`Beneficiary.objects.visible_to`: their
structure; an administrator without a structure sees every structure). Observers never see personal data.
The reads that also look at CEPs (the search by CEP state, the home page's CEP lists) are in
cep/enrolments/queries.py: beneficiaries is the lowest layer and imports no other domain package.
"""

import datetime

from django.db.models import Q

from cep.audit.services import log_sensitive_access
from cep.common.access import can_see_structure, ensure_can_view_dossiers
from cep.common.errors import RuleViolation
from cep.common.text import normalize_name

from . import services
from .models import Beneficiary


def get_dossier(actor, pk: int) -> Beneficiary:
    """One dossier with what every dossier page shows in its header (one query). Raises DoesNotExist."""
    ensure_can_view_dossiers(actor)
    return (
        Beneficiary.objects.visible_to(actor)
        .select_related("referent", "structure__network", "employment_status")
        .get(pk=pk)
    )


def read_rqth(actor, beneficiary: Beneficiary, *, channel: str) -> bool:
    """The person's RQTH, a sensitive datum: every read is logged here (who, whose, through which channel),
    once per display. Pages and the API read it through this function only."""
    ensure_can_view_dossiers(actor)
    if not can_see_structure(actor, beneficiary.structure_id):
        raise RuleViolation("DROITS", "Ce dossier n'appartient pas à votre structure.")
    log_sensitive_access(actor=actor, beneficiary_id=beneficiary.pk, channel=channel, field="rqth")
    return beneficiary.has_rqth


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
