"""Reads on orientations (selectors), shared by the pages and the API: both structures see an orientation, its
summary and its history, and nothing else of the other's dossier; the directory of the structures to orient to."""

import datetime

from django.db.models import Avg, Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from cep.accounts.rights import Right
from cep.common.access import ensure_can_view_dossiers
from cep.organisations.models import Commune, Structure

from .models import Orientation, Status

LABELS = ("refusal_reason", "consent_mode", "consent_recorded_by", "counselor", "answered_by", "orientation_source")
PAGE = 50
RECENT_ANSWERS = datetime.timedelta(days=30)


def get_orientation(user, pk: int) -> Orientation:
    """One orientation the user's structure sent or received (raises Orientation.DoesNotExist otherwise)."""
    ensure_can_view_dossiers(user)
    return Orientation.objects.visible_to(user).select_related(*LABELS).get(pk=pk)


def history(orientation: Orientation) -> list:
    return list(orientation.entries.all())


def _page(qs: QuerySet, before: int | None, limit: int) -> tuple[list, int | None]:
    """Newest first, keyset on the id (ids grow with the sending time)."""
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[: limit + 1])
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].pk
    return rows, None


def received(user, *, status: str | None = None, before: int | None = None, limit: int = PAGE):
    """The orientations the user's structure received (rows, cursor of the next page or None)."""
    ensure_can_view_dossiers(user)
    qs = Orientation.objects.received_by_structure_of(user).select_related("refusal_reason")
    if status:
        qs = qs.filter(status=status)
    return _page(qs, before, limit)


def sent(user, *, status: str | None = None, before: int | None = None, limit: int = PAGE):
    """The orientations the user's structure sent."""
    ensure_can_view_dossiers(user)
    qs = Orientation.objects.sent_by_structure_of(user).select_related("refusal_reason", "counselor")
    if status:
        qs = qs.filter(status=status)
    return _page(qs, before, limit)


def dossier_orientations(user, beneficiary) -> list:
    """On a dossier: the orientations sent from it (A), or the one that brought the person (B)."""
    return list(
        Orientation.objects.visible_to(user)
        .filter(Q(beneficiary=beneficiary) | Q(target_beneficiary=beneficiary))
        .select_related("refusal_reason")
        .order_by("-id")
    )


def received_aiguilleur(beneficiary) -> str | None:
    """The aiguilleur of a dossier received through an orientation (its latest accepted one), for the CEP form."""
    return (
        Orientation.objects.filter(target_beneficiary=beneficiary, status=Status.ACCEPTED)
        .order_by("-answered_at", "-id")
        .values_list("orientation_source_id", flat=True)
        .first()
    )


def home(user, limit: int = 5) -> dict:
    """Home page: what waits for the user's structure (B), and the answers to the user's own orientations of the
    last 30 days (A). Two queries."""
    waiting = []
    if user.has_right(Right.HANDLE_ORIENTATIONS):
        waiting = list(
            Orientation.objects.received_by_structure_of(user).filter(status=Status.SENT).order_by("-id")[: limit + 1]
        )
    answered = list(
        Orientation.objects.sent_by_structure_of(user)
        .filter(counselor=user, answered_at__gte=timezone.now() - RECENT_ANSWERS)
        .exclude(status=Status.SENT)
        .select_related("refusal_reason")
        .order_by("-answered_at", "-id")[:limit]
    )
    return {"waiting": waiting[:limit], "more_waiting": len(waiting) > limit, "answered": answered}


# --- Directory ------------------------------------------------------------------------------------------------


def answer_delays(structure_ids) -> dict[int, float]:
    """Measured average answer delay (days) of each structure, over the orientations it accepted or refused."""
    rows = (
        Orientation.objects.filter(
            target_structure_id__in=list(structure_ids), status__in=(Status.ACCEPTED, Status.REFUSED)
        )
        .values("target_structure_id")
        .annotate(delay=Avg(F("answered_at") - F("sent_at")))
    )
    return {r["target_structure_id"]: r["delay"].total_seconds() / 86400 for r in rows if r["delay"] is not None}


def answer_delay(structure_id: int) -> tuple[float | None, int]:
    """One structure's measured average answer delay (days, None before any answer) and the number of answered
    orientations it is measured on (« Ma structure »). One query."""
    row = Orientation.objects.filter(
        target_structure_id=structure_id, status__in=(Status.ACCEPTED, Status.REFUSED)
    ).aggregate(delay=Avg(F("answered_at") - F("sent_at")), count=Count("pk"))
    delay = row["delay"].total_seconds() / 86400 if row["delay"] is not None else None
    return delay, row["count"]


# The directory's order, hence the shape of its keyset cursor: (rank, name, id); rank 0 for the structures that
# serve the commune's département (every structure without a commune), 1 for the others of its région.
DIRECTORY_KEY = (int, str, int)


def _directory_rows(*, commune: Commune | None, network: str | None, exclude: int | None) -> QuerySet:
    qs = Structure.objects.select_related("network", "department", "region").prefetch_related("served_departments")
    if network:
        qs = qs.filter(network_id=network)
    if exclude:
        qs = qs.exclude(pk=exclude)
    if commune is None:
        return qs.annotate(rank=Value(0, output_field=IntegerField()))
    department = commune.department
    served = Structure.served_departments.through.objects.filter(structure=OuterRef("pk"))
    # Serving the département: listing it, or listing none and being in it. Subqueries, not joins: no duplicates.
    serving = Q(Exists(served.filter(department_id=department.code))) | (
        ~Q(Exists(served)) & Q(department_id=department.code)
    )
    return qs.filter(serving | Q(region_id=department.region_id)).annotate(
        rank=Case(When(serving, then=Value(0)), default=Value(1), output_field=IntegerField())
    )


def decorate_directory_rows(rows: list[Structure], commune: Commune | None) -> list[Structure]:
    """Each row's `.delay`, `.served_codes` and `.serves` (rows annotated with `rank`, served départements
    prefetched). One query."""
    delays = answer_delays(s.pk for s in rows)
    for s in rows:
        s.delay = delays.get(s.pk)
        served = {d.code for d in s.served_departments.all()} or {s.department_id}
        s.served_codes = sorted(served)
        s.serves = commune is not None and s.rank == 0
    return rows


def directory_page(
    *,
    commune: Commune | None = None,
    network: str | None = None,
    exclude: int | None = None,
    after: tuple | None = None,
    limit: int = 100,
) -> tuple[list[Structure], tuple | None]:
    """One page of the structures to orient to: with a commune, those serving its département first (their own
    département when they list none), then the other structures of its région; by name within each group. `after`
    is the sort key (DIRECTORY_KEY) of the previous page's last row; returns (rows, the last row's key when more
    follow, else None). Each row carries `.delay` (days, or None), `.served_codes` and `.serves` (True when it
    serves the commune's département). Four queries, whatever the page's size."""
    qs = _directory_rows(commune=commune, network=network, exclude=exclude)
    if after:
        rank, name, pk = after
        qs = qs.filter(Q(rank__gt=rank) | Q(rank=rank, name__gt=name) | Q(rank=rank, name=name, pk__gt=pk))
    rows = list(qs.order_by("rank", "name", "pk")[: limit + 1])
    more = len(rows) > limit
    rows = decorate_directory_rows(rows[:limit], commune)
    return rows, ((rows[-1].rank, rows[-1].name, rows[-1].pk) if more else None)
