"""Reads on beneficiary dossiers (selectors). Pages and the API call these; writes go through services.py.

Every function takes the acting user and scopes to what they may see (`Beneficiary.objects.visible_to`: their
structure; an administrator without a structure sees every structure). Observers never see personal data.
The reads that also look at CEPs (the search by CEP state, the home page's CEP lists) are in
cep/enrolments/queries.py: beneficiaries is the lowest layer and imports no other domain package.
"""

import datetime
import re
from dataclasses import dataclass
from itertools import permutations

from django.db.models import Exists, OuterRef, Q

from cep.audit.services import log_sensitive_access
from cep.common.access import can_see_structure, ensure_can_view_dossiers
from cep.common.errors import RuleViolation
from cep.common.text import damerau_levenshtein_at_most_one, normalize_name, phone_digits, typo_variants

from . import services
from .models import Beneficiary, NameWord


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


# --- Search box -------------------------------------------------------------------------------------------
# One box takes names (any order, word prefixes), a birth date « 14/05/2006 » and a phone number. The words are
# looked up in beneficiaries_nameword (structure, word, beneficiary), kept in step by triggers (migration 0005).

TYPO_MIN_LENGTH = 4  # shorter typed words are prefixes only: one typo in 3 letters matches half the names
_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})(?![0-9])")
_PHONE = re.compile(r"\+?[0-9][0-9 .-]*[0-9]")


class SearchTextError(ValueError):
    """What was typed cannot be searched (an impossible date): the French message says why."""


@dataclass(frozen=True)
class SearchTerms:
    words: tuple[str, ...] = ()
    birth_date: datetime.date | None = None
    phone: str = ""

    def __bool__(self):
        return bool(self.words or self.birth_date or self.phone)


def parse_search_text(text: str) -> SearchTerms:
    """Names, a birth date (jj/mm/aaaa) and a phone number typed in one box. Raises SearchTextError."""
    text = text or ""
    dates = set()
    for match in _DATE.finditer(text):
        day, month, year = (int(g) for g in match.groups())
        try:
            dates.add(datetime.date(year, month, day))
        except ValueError:
            raise SearchTextError(f"La date « {match.group(0)} » n'existe pas : tapez-la au format jj/mm/aaaa.")
    if len(dates) > 1:
        raise SearchTextError("Une seule date de naissance à la fois.")
    text = _DATE.sub(" ", text)
    phone = ""
    for match in _PHONE.finditer(text):
        digits = phone_digits(match.group(0))
        if digits:
            if phone and phone != digits:
                raise SearchTextError("Un seul numéro de téléphone à la fois.")
            phone = digits
            text = text.replace(match.group(0), " ", 1)
    words = tuple(dict.fromkeys(w for w in normalize_name(text).split(" ") if w))
    return SearchTerms(words=words, birth_date=dates.pop() if dates else None, phone=phone)


def _word_match(word: str, typos: bool) -> Q:
    match = Q(word__startswith=word)
    if typos and len(word) >= TYPO_MIN_LENGTH and word.isalpha():
        match |= Q(word__in=sorted(typo_variants(word)))
    return match


def _typed(terms: SearchTerms) -> list[str]:
    """The typed words and the phone digits: each must match a word of the dossier (the phone is one)."""
    return [*terms.words, *([terms.phone] if terms.phone else [])]


def words_filter(terms: SearchTerms, *, typos: bool = False) -> Q:
    """Dossiers having, for each typed word, a word of their name that starts with it (any order).

    typos: a typed word of TYPO_MIN_LENGTH letters or more also matches a whole word one typo away
    (Damerau-Levenshtein ≤ 1: a letter wrong, missing or extra, or two neighbours swapped), the measure of
    `likely_duplicates` too. The variants are exact keys of the words index, looked up within the structure.
    For any actor (an administrator without a structure too) and any other filter; `matches` is the faster
    form for one structure.
    """
    condition = Q()
    for word in _typed(terms):
        words = NameWord.objects.filter(
            _word_match(word, typos), structure_id=OuterRef("structure_id"), beneficiary_id=OuterRef("pk")
        )
        condition &= Exists(words)
    if terms.birth_date:
        condition &= Q(birth_date=terms.birth_date)
    return condition


def matches(
    structure_id: int, terms: SearchTerms, *, typos: bool = False, after: tuple | None = None, limit: int
) -> list[tuple[str, int]]:
    """(search_name, id) of the dossiers of one structure whose words match every typed word, in name order, after
    the keyset `after`, at most `limit`: read from the words index alone (`nameword_prefix_order_idx`: a range per
    typed word, intersected, sorted), never from the dossiers, so the cost follows the matches, not the base."""
    sets = []
    for word in _typed(terms):
        words = NameWord.objects.filter(_word_match(word, typos), structure_id=structure_id)
        if after:
            words = words.filter(Q(search_name__gt=after[0]) | Q(search_name=after[0], beneficiary_id__gt=after[1]))
        sets.append(words.values_list("search_name", "beneficiary_id").order_by())
    combined = sets[0].distinct() if len(sets) == 1 else sets[0].intersection(*sets[1:])
    return list(combined.order_by("search_name", "beneficiary_id")[:limit])


def has_typo_fallback(terms: SearchTerms) -> bool:
    return any(len(w) >= TYPO_MIN_LENGTH and w.isalpha() for w in terms.words)


# --- Duplicates --------------------------------------------------------------------------------------------


def names_close(a: str, b: str) -> bool:
    """Two normalised names one typo apart: as whole strings, or word by word in any order (the search's
    measure, Damerau-Levenshtein ≤ 1 per word: « michelle begeu » is close to « begue michelle »)."""
    if damerau_levenshtein_at_most_one(a, b):
        return True
    wa, wb = a.split(), b.split()
    if len(wa) != len(wb) or len(wa) > 5:
        return False
    return any(
        all(damerau_levenshtein_at_most_one(x, y) for x, y in zip(wa, order, strict=True))
        for order in permutations(wb)
    )


def likely_duplicates(*, structure_id: int, last_name: str, first_name: str, birth_date: datetime.date) -> list:
    """Dossiers of the structure with the same birth date and the same normalised name, or one typo away
    (names_close: per word, in any order).

    The (structure, birth_date) index returns the few people born that day; names are compared in Python.
    """
    wanted = normalize_name(f"{last_name} {first_name}")
    candidates = Beneficiary.objects.filter(structure_id=structure_id, birth_date=birth_date).select_related(
        "referent"
    )
    return [b for b in candidates.order_by("search_name", "id") if names_close(b.search_name, wanted)]


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
