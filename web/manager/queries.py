"""Reads of the manager pages: the offer catalogue and the users of a structure."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from cep.accounts.models import User
from cep.beneficiaries.models import Beneficiary
from cep.common import keyset
from cep.offers.models import ServiceOffer
from cep.organisations.models import Department, Structure
from cep.orientations.queries import answer_delay

PAGE_SIZE = 25


@dataclass
class Page:
    rows: list
    next_cursor: str | None


# The catalogue's order, hence the shape of its keyset cursor: (name, id).
OFFER_KEY = (str, int)


def search_offers(user, *, q="", kind="", theme=None, service_act=None, national_measure=None, after=None) -> Page:
    offers = ServiceOffer.objects.visible_to(user).select_related("theme", "service_act", "referent", "structure")
    q = (q or "").strip()
    if q:
        words = Q()
        for word in q.split():
            words &= (
                Q(name__icontains=word)
                | Q(offer_type__icontains=word)
                | Q(theme__label__icontains=word)
                | Q(service_act__label__icontains=word)
                | Q(regional_service_act__icontains=word)
                | Q(partner__icontains=word)
                | Q(national_measure__iexact=word)
            )
        offers = offers.filter(words)
    if kind:
        offers = offers.filter(kind=kind)
    if theme is not None:
        offers = offers.filter(theme=theme)
    if service_act is not None:
        offers = offers.filter(service_act=service_act)
    if national_measure is not None:
        offers = offers.filter(national_measure=national_measure)
    cursor = keyset.decode(after, OFFER_KEY)  # a malformed cursor (hand-edited URL) is the first page
    if cursor:
        name, pk = cursor
        offers = offers.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    rows = list(offers.order_by("name", "pk")[: PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_cursor = keyset.encode((rows[-1].name, rows[-1].pk))
    return Page(rows, next_cursor)


def structure_users(structure) -> list[User]:
    """The users of a structure with the number of beneficiaries each one is referent of."""
    return list(
        User.objects.filter(structure=structure)
        .annotate(
            beneficiary_count=Count("beneficiaries", filter=Q(beneficiaries__structure=structure), distinct=True)
        )
        .order_by("-is_active", "last_name", "first_name", "username")
    )


def beneficiaries_without_referent(structure) -> int:
    return Beneficiary.objects.filter(structure=structure, referent__isnull=True).count()


def referent_count(structure, user) -> int:
    return Beneficiary.objects.filter(structure=structure, referent=user).count()


@dataclass
class DirectoryEntry:
    """A structure's entry in the directory, as the manager reads it: the département codes it lists (empty: its own
    département), the départements it serves, and the measured answer delay (days, None before any answer)."""

    codes: list[str]
    departments: list[Department]
    delay: float | None
    answered: int


def directory_entry(structure) -> DirectoryEntry:
    """Two queries: the départements served (the structure's own when it lists none), the answer delay."""
    served = Structure.served_departments.through.objects.filter(structure=structure, department=OuterRef("pk"))
    departments = list(
        Department.objects.annotate(listed=Exists(served))
        .filter(Q(listed=True) | Q(code=structure.department_id))
        .order_by("code")
    )
    listed = [d for d in departments if d.listed]
    delay, answered = answer_delay(structure.pk)
    return DirectoryEntry(
        codes=[d.code for d in listed],
        departments=listed or [d for d in departments if d.code == structure.department_id],
        delay=delay,
        answered=answered,
    )
