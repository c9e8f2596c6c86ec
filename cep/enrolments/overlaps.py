"""Double accompaniment (issue 11, part 3) and the France Travail case of a change of status (part 4).

A person is identified across structures by the identity pseudonym (cep/beneficiaries/identity.py), copied on
each CEP (`Cep.identity_pseudonym`) and indexed over the CEPs in progress (partial index cep_open_identity_idx):
two CEPs in progress in two structures with the same pseudonym are an overlap, a warning and never a refusal.

The France Travail exception ([002] §3.2.1, [004] l.85, docs/regles-cep.md §7): a job seeker registered at France
Travail
and followed there while another operator delivers the CEP, at their request, is not double accompaniment. Both
are data: `Network.follows_registered_job_seekers` and `EmploymentStatus.is_registered_job_seeker`; the pair is
excused when exactly one of the two structures is of such a network and that structure's dossier says the
person is a registered job seeker.

Nothing of the other dossier crosses: a counselor learns the other operator's network and structure name only;
the national report carries pseudonyms and structure codes only.
"""

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from cep.common.dates import today

from .models import Cep
from .workflow import OPEN_STATUSES


@dataclass(frozen=True)
class Elsewhere:
    network: str
    structure: str


def is_france_travail_exception(ft_a: bool, job_seeker_a: bool, ft_b: bool, job_seeker_b: bool) -> bool:
    """The pair of CEPs (a, b) is the France Travail follow-up of a job seeker, not double accompaniment."""
    if ft_a == ft_b:
        return False
    return bool(job_seeker_a if ft_a else job_seeker_b)


def france_travail_exception_sql(ft_a: str, job_seeker_a: str, ft_b: str, job_seeker_b: str) -> str:
    """`is_france_travail_exception` as a SQL condition on four boolean expressions (never NULL), for the
    set-based statements: the national report and the check of an import of CEPs."""
    return f"({ft_a} <> {ft_b} AND CASE WHEN {ft_a} THEN {job_seeker_a} ELSE {job_seeker_b} END)"


# What the counselor reads when the person is followed elsewhere (opening a CEP, importing one): the other
# structures' network and name only, « réseau – structure » joined by PLACES_SEPARATOR in the %s.
WARNING = (
    "Attention : cette personne a aussi un CEP en cours dans une autre structure (%s). Vérifiez avec elle "
    "qu'il ne s'agit pas d'un double accompagnement ; le conseiller de l'autre structure en est averti."
)
PLACE = "%s – %s"  # network, structure
PLACES_SEPARATOR = " ; "


def warning(found: list[Elsewhere]) -> str:
    return WARNING % PLACES_SEPARATOR.join(PLACE % (e.network, e.structure) for e in found)


def in_progress_sql(where: str = "") -> str:
    """The CEPs in progress with what `elsewhere` shows and the exception reads (network, structure, ft, js), as a
    FROM item: the set-based twin of `_in_progress` and `_facts`, for a statement that looks for many persons at once
    (the check of an import of CEPs). `where` narrows the CEPs (alias `c`) before their dossiers are joined. Order a
    person's rows by (structure_id, id), as `elsewhere_of` does."""
    return (
        "("
        + _with_facts(
            "c.id, c.identity_pseudonym, c.structure_id, n.label AS network, s.name AS structure",
            f"c.status IN ('phase2', 'phase3') AND c.identity_pseudonym <> '' {where}",
        )
        + ")"
    )


def _with_facts(columns: str, where: str) -> str:
    """CEPs (alias `c`) with `columns` and the two facts the France Travail exception reads: `ft` (the structure's
    network follows registered job seekers) and `js` (the dossier says the person is one)."""
    return f"""
    SELECT {columns},
           n.follows_registered_job_seekers AS ft, coalesce(es.is_registered_job_seeker, false) AS js
    FROM enrolments_cep c
    JOIN organisations_structure s ON s.id = c.structure_id
    JOIN referentials_network n ON n.code = s.network_id
    JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id
    LEFT JOIN referentials_employmentstatus es ON es.code = b.employment_status_id
    WHERE {where}
"""


def _facts(cep: Cep) -> tuple[bool, bool]:
    status = cep.beneficiary.employment_status
    return cep.structure.network.follows_registered_job_seekers, bool(status and status.is_registered_job_seeker)


def _in_progress(pseudonyms):
    return (
        Cep.objects.filter(identity_pseudonym__in=pseudonyms, status__in=OPEN_STATUSES)
        .select_related("structure__network", "beneficiary__employment_status")
        .order_by("identity_pseudonym", "structure_id", "id")
    )


def elsewhere(cep: Cep) -> list[Elsewhere]:
    """The other structures where the person of this CEP in progress has a CEP in progress too (the exception
    excepted): network and structure name only."""
    if cep.status not in OPEN_STATUSES or not cep.identity_pseudonym:
        return []
    return elsewhere_of([cep]).get(cep.pk, [])


def elsewhere_of(ceps) -> dict[int, list[Elsewhere]]:
    """`elsewhere` for several CEPs in progress, in one query (home page, CEP pages)."""
    ceps = [c for c in ceps if c.status in OPEN_STATUSES and c.identity_pseudonym]
    if not ceps:
        return {}
    others = {}
    for other in _in_progress({c.identity_pseudonym for c in ceps}):
        others.setdefault(other.identity_pseudonym, []).append(other)
    loaded = {o.pk: o for group in others.values() for o in group}  # the CEPs themselves, with their facts
    result = {}
    for cep in ceps:
        mine = _facts(loaded.get(cep.pk, cep))
        found = [
            Elsewhere(o.structure.network.label, o.structure.name)
            for o in others.get(cep.identity_pseudonym, [])
            if o.structure_id != cep.structure_id and not is_france_travail_exception(*mine, *_facts(o))
        ]
        if found:
            result[cep.pk] = found
    return result


def _first(qs, limit: int) -> list[Cep]:
    """The `limit` earliest entries of `qs`, without letting PostgreSQL walk the entry-date index of every CEP
    to satisfy ORDER BY … LIMIT (7 s on 1,000,000 persons when nothing matches): ids and dates first, sorted
    here, then the rows."""
    keys = sorted(qs.values_list("entry_date", "id"))[:limit]
    rows = {
        c.pk: c
        for c in Cep.objects.filter(pk__in=[pk for _, pk in keys]).select_related(
            "beneficiary__employment_status", "structure__network"
        )
    }
    return [rows[pk] for _, pk in keys]


def overlapping_ceps(actor, *, whole_structure: bool = False, limit: int = 50) -> list[Cep]:
    """The actor's CEPs in progress (or the structure's) that the person also follows elsewhere; each gets
    `elsewhere` (list of Elsewhere). For the home page."""
    qs = Cep.objects.visible_to(actor).filter(status__in=OPEN_STATUSES)
    if not whole_structure:
        qs = qs.filter(beneficiary__referent=actor)
    # One probe of the partial index per CEP of the actor (never a grouping of every CEP in progress).
    elsewhere_open = Cep.objects.filter(
        identity_pseudonym=OuterRef("identity_pseudonym"), status__in=OPEN_STATUSES
    ).exclude(structure_id=OuterRef("structure_id"))
    rows = _first(qs.exclude(identity_pseudonym="").filter(Exists(elsewhere_open)), limit)
    found = elsewhere_of(rows)
    result = []
    for cep in rows:
        if cep.pk in found:
            cep.elsewhere = found[cep.pk]
            result.append(cep)
    return result


# The national report: persons with CEPs in progress in two structures on a day, pseudonyms and codes only.
# Today: the CEPs in progress (status), read through the partial index cep_open_identity_idx; a past day: the CEPs
# entered on or before it and not ended before it (their dates). Two statements: the shared pseudonyms first (an
# index-only scan grouped in index order on 1,000,000 persons), then the few CEPs that carry them, read by the same
# index (one query doing both let the planner hash the whole beneficiary table: docs/benchmarks.md).
_IN_PROGRESS_NOW = "c.status IN ('phase2', 'phase3')"
_IN_PROGRESS_ON = "c.status <> 'deleted' AND c.entry_date <= %(day)s AND (c.end_date IS NULL OR c.end_date >= %(day)s)"
_SHARED_SQL = """
SELECT c.identity_pseudonym FROM enrolments_cep c
WHERE {in_progress} AND c.identity_pseudonym <> ''
GROUP BY c.identity_pseudonym HAVING min(c.structure_id) <> max(c.structure_id)
"""
_PAIRS_SQL = (
    "WITH cur AS MATERIALIZED ("
    + _with_facts(
        "c.identity_pseudonym AS p, c.structure_id, s.network_id, c.entry_date",
        "c.identity_pseudonym = ANY(%(shared)s) AND {in_progress}",  # filled by national_overlaps
    )
    + """)
SELECT a.p, a.structure_id, a.network_id, a.entry_date, b.structure_id, b.network_id, b.entry_date
FROM cur a JOIN cur b ON b.p = a.p AND b.structure_id > a.structure_id
WHERE NOT {exception}
ORDER BY a.p, a.structure_id, b.structure_id
"""
)
_PAIR_EXCEPTION = france_travail_exception_sql("a.ft", "a.js", "b.ft", "b.js")
# Compiling these short queries costs more than it saves (JIT took 3.5 s of 12 s on 1,000,000 persons).
_SETTINGS = {"jit": "off", "work_mem": "64MB"}

REPORT_COLUMNS = (
    "identifiant_personne_identite",
    "code_structure_1",
    "code_reseau_1",
    "date_entree_1",
    "code_structure_2",
    "code_reseau_2",
    "date_entree_2",
)


def national_overlaps(day: datetime.date | None = None) -> list[tuple]:
    """Rows of REPORT_COLUMNS: each pair of structures delivering a CEP to the same person on `day` (today by
    default), the France Travail exception excepted."""
    current = day is None or day >= today()
    in_progress = _IN_PROGRESS_NOW if current else _IN_PROGRESS_ON
    with transaction.atomic(), connection.cursor() as cursor:
        for name, value in _SETTINGS.items():
            cursor.execute(f"SET LOCAL {name} = '{value}'")
        cursor.execute(_SHARED_SQL.format(in_progress=in_progress), {"day": day})
        shared = [row[0] for row in cursor.fetchall()]
        if not shared:
            return []
        pairs = _PAIRS_SQL.format(in_progress=in_progress, exception=_PAIR_EXCEPTION)
        cursor.execute(pairs, {"day": day, "shared": shared})
        return [
            (p, str(s1), n1, e1.isoformat(), str(s2), n2, e2.isoformat())
            for p, s1, n1, e1, s2, n2, e2 in cursor.fetchall()
        ]


def france_travail_registration_ended(actor, *, whole_structure: bool = False, limit: int = 50) -> list[Cep]:
    """Part 4: CEPs in progress delivered by France Travail whose person is no longer a registered job seeker
    (the dossier's employment status changed): the counselor chooses « clôturer » (or « orienter », issue 11
    part 2). Every other change of status keeps the CEP as it is ([004] l.32, l.83)."""
    qs = Cep.objects.visible_to(actor).filter(
        status__in=OPEN_STATUSES, structure__network__follows_registered_job_seekers=True
    )
    if not whole_structure:
        qs = qs.filter(beneficiary__referent=actor)
    not_registered = Q(beneficiary__employment_status__isnull=True) | Q(
        beneficiary__employment_status__is_registered_job_seeker=False
    )
    return _first(qs.filter(not_registered), limit)
