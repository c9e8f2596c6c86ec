"""Issue 14: the demo counselors find their rendez-vous of the day and of the week after `make run`."""

import datetime
from zoneinfo import ZoneInfo

from django.test import Client
from django.urls import reverse

from cep.accounts.rights import Role
from cep.appointments.models import Appointment, Status
from cep.audit.models import AuditEntry
from cep.beneficiaries.models import DossierStatus
from cep.demo.appointments import ensure_demo_appointments, slots
from tests.factories import BeneficiaryFactory, UserFactory

PARIS = ZoneInfo("Europe/Paris")


def test_rdv_demo_slots_skip_the_past_and_the_weekend():
    friday_evening = datetime.datetime(2026, 12, 4, 16, 50, tzinfo=PARIS)
    found = slots(friday_evening)
    # 17:00 is less than a quarter of an hour away: today keeps nothing; then Monday to Friday of next week.
    assert {start.date() for start, _ in found} == {datetime.date(2026, 12, d) for d in (7, 8, 9, 10, 11)}
    assert all(start.weekday() < 5 and start > friday_evening for start, _ in found)
    monday_morning = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)
    assert sum(start.date() == monday_morning.date() for start, _ in slots(monday_morning)) == 5


def test_rdv_demo_books_through_the_service_and_is_idempotent(structure):
    user = UserFactory(username="conseiller.ml", role=Role.COUNSELOR, structure=structure)
    own = BeneficiaryFactory.create_batch(3, structure=structure, referent=user)
    others = BeneficiaryFactory.create_batch(40, structure=structure)
    BeneficiaryFactory(structure=structure, referent=user, status=DossierStatus.INCOMPLETE, justified_at=None)
    booked = ensure_demo_appointments()
    planned = Appointment.objects.filter(counselor=user, status=Status.PLANNED)
    assert booked == planned.count() > 0
    assert AuditEntry.objects.filter(object_type="appointment", action="book_appointment").count() == booked
    # The counselor's own justified dossiers come first; the incomplete one is never booked.
    assert {a.beneficiary_id for a in planned} >= {b.id for b in own}
    assert planned.filter(beneficiary__status=DossierStatus.JUSTIFIED).count() == booked
    assert len({a.beneficiary_id for a in planned}) == booked <= len(own) + len(others)
    assert ensure_demo_appointments() == 0  # a second `make run` books nothing more


def test_rdv_demo_home_page_lists_the_week(structure):
    user = UserFactory(username="conseiller.ml", role=Role.COUNSELOR, structure=structure)
    BeneficiaryFactory.create_batch(30, structure=structure, referent=user)
    ensure_demo_appointments()
    client = Client()
    client.force_login(user)
    page = client.get(reverse("web:home")).content.decode()
    first = Appointment.objects.filter(counselor=user).order_by("starts_at").select_related("beneficiary").first()
    assert first.beneficiary.last_name.upper() in page.upper()
