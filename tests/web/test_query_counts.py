"""Each page's number of SQL queries is pinned and does not grow with the number of rows shown."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cep.enrolments.services import cancel_phase3, close_cep, modify_cep, move_to_phase3
from cep.events.services import record_event
from cep.offers.services import propose_offer
from tests.clock import today
from tests.factories import BeneficiaryFactory, paris_at

pytestmark = pytest.mark.django_db

# Each budget includes 6 queries every signed-in page makes: session read, user, the user's structure
# (header) and the session save (savepoint, update, release).
BUDGETS = {
    # my dossiers, counts by phase, phase 2 rows, phase 3 rows, closing soon, my rendez-vous, double accompaniment,
    # France Travail registration ended (issue 11), orientations waiting for the structure and answered (issue 11)
    "home": 16,
    "search": 8,  # the page of rows, the referent choices
    "synthesis": 10,  # dossier, current CEP, last events, orientations
    "identity": 8,  # dossier, referent choices
    "contact": 8,  # dossier, commune
    "complements": 10,  # dossier, RQTH access log, two referential lists
    "dispositifs": 8,  # dossier, CEPs with their labels
    "events": 11,  # dossier, events with labels, their services, two filter lists
    "services": 8,  # dossier, services with offers
    "offers": 10,  # dossier, offers, two filter lists
    "history": 11,  # CEP, audit entries, one query per referential kind present
    "create": 11,  # the empty form: two referential lists (« Justifié »), the CEP part (three lists, the counselors)
    "cep_add": 11,  # dossier, three referential lists, the aiguilleur of a person received through an orientation
    "cep_close": 9,  # CEP, two referential lists
    "cep_modify": 10,  # CEP, three referential lists
    "event_add": 15,  # dossier, three context lists, sens, nature, lieu, fonction, intervenants
    "propose": 9,  # dossier, offer, event in progress
    "appointments": 11,  # dossier, rendez-vous with labels, modes, places, counselors
}


@pytest.fixture
def many(structure, counselor, beneficiary, open_cep, level1_offer, event_fields, cep_refs, book):
    """30 dossiers with CEPs, 30 events with services, a CEP with a long history."""
    for i in range(30):
        b = BeneficiaryFactory(structure=structure, referent=counselor, last_name=f"Nom{i:02d}")
        from cep.enrolments.services import open_cep as open_service

        open_service(
            beneficiary=b,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=today() - datetime.timedelta(days=200),
            entry_phase=2 if i % 2 else 3,
            request_reason=cep_refs["reason"],
        )
    cep = open_cep(entry_date=today() - datetime.timedelta(days=60))
    for i in range(30):
        day = today() - datetime.timedelta(days=i)
        record_event(beneficiary=beneficiary, actor=counselor, date=day, comment=f"n°{i}", **event_fields)
        propose_offer(beneficiary=beneficiary, offer=level1_offer, actor=counselor, proposed_on=day)
    for i in range(5):
        cep = move_to_phase3(cep=cep, on=cep.phase2_entry_date + datetime.timedelta(days=i + 1), actor=counselor)
        cep = cancel_phase3(cep=cep, actor=counselor)
        cep = modify_cep(cep=cep, actor=counselor, prescriber_name=f"P{i}", project_type=cep_refs["project"])
    for i in range(10):  # rendez-vous to come and past ones
        book(paris_at(8 + i, 0, days=i), mode="telephone", subject=f"n°{i}")
    return cep


def _urls(b, cep, offer_id=0):
    return {
        "home": reverse("web:home"),
        "search": reverse("web:beneficiary_search") + "?q=nom",
        "synthesis": reverse("web:dossier", args=[b.pk]),
        "identity": reverse("web:identity", args=[b.pk]),
        "contact": reverse("web:contact", args=[b.pk]),
        "complements": reverse("web:complements", args=[b.pk]),
        "dispositifs": reverse("web:dispositifs", args=[b.pk]),
        "events": reverse("web:events", args=[b.pk]),
        "services": reverse("web:services", args=[b.pk]),
        "offers": reverse("web:offer_search", args=[b.pk]) + "?q=offre&kind=catalogue",
        "history": reverse("web:cep_history", args=[cep.pk]),
        "create": reverse("web:beneficiary_create"),
        "cep_add": reverse("web:cep_add", args=[b.pk]),
        "cep_close": reverse("web:cep_close", args=[cep.pk]),
        "cep_modify": reverse("web:cep_modify", args=[cep.pk]),
        "event_add": reverse("web:event_add", args=[b.pk]),
        "propose": reverse("web:propose", args=[b.pk, offer_id]),
        "appointments": reverse("web:appointments", args=[b.pk]),
    }


@pytest.mark.parametrize("page", list(BUDGETS))
def test_query_count_is_pinned(signed_in, beneficiary, many, level1_offer, page, django_assert_max_num_queries):
    url = _urls(beneficiary, many, level1_offer.pk)[page]
    with django_assert_max_num_queries(BUDGETS[page]):
        response = signed_in.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["home", "search", "events", "services", "history", "dispositifs"])
def test_query_count_does_not_grow_with_rows(
    signed_in, structure, beneficiary, open_cep, counselor, page, cep_refs, event_fields, level1_offer
):
    """The same number of queries with one row and with fifteen."""
    cep = open_cep(entry_date=today() - datetime.timedelta(days=60), project_type=cep_refs["project"])
    record_event(beneficiary=beneficiary, actor=counselor, date=today(), **event_fields)
    propose_offer(beneficiary=beneficiary, offer=level1_offer, actor=counselor, proposed_on=today())
    url = _urls(beneficiary, cep)[page]
    # One row already (the search finds one « Nom… »): a search that finds nobody makes one query less.
    BeneficiaryFactory(structure=structure, referent=counselor, last_name="Nom00")
    signed_in.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        signed_in.get(url)
    for i in range(1, 16):
        BeneficiaryFactory(structure=structure, referent=counselor, last_name=f"Nom{i:02d}")
        day = today() - datetime.timedelta(days=i)
        record_event(beneficiary=beneficiary, actor=counselor, date=day, **event_fields)
        propose_offer(beneficiary=beneficiary, offer=level1_offer, actor=counselor, proposed_on=day)
    for i in range(3):
        cep = modify_cep(cep=cep, actor=counselor, prescriber_name=f"P{i}", project_type=cep_refs["project"])
    close_cep(cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["plan"])
    with CaptureQueriesContext(connection) as many_rows:
        signed_in.get(url)
    # history gains one query (the exit reason's label), whatever the number of entries
    allowed = len(few) + (1 if page == "history" else 0)
    assert len(many_rows) <= allowed, [q["sql"][:120] for q in many_rows.captured_queries]
