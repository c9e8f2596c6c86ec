"""The demo orientations (`manage.py demo_orientations`, run by `make run`): one accepted, one refused, one waiting
at France Travail, one waiting at the Mission locale; the directory gets contact details; idempotent."""

import pytest
from django.core import mail
from django.core.management import call_command

from cep.accounts.rights import Role
from cep.orientations.models import Orientation, Status
from cep.orientations.queries import answer_delays
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_orientations_load_once(refdata, capsys):
    ml = StructureFactory(name="Mission locale de Lyon")
    ft = StructureFactory(name="France Travail Lyon Part-Dieu", operator__network_id="france_travail")
    UserFactory(username="conseiller.ml", role=Role.COUNSELOR, structure=ml)
    UserFactory(username="conseiller.ft", role=Role.COUNSELOR, structure=ft)
    for _ in range(4):
        BeneficiaryFactory(structure=ml)
    BeneficiaryFactory(structure=ft)
    call_command("demo_orientations")
    assert "créées : 4" in capsys.readouterr().out
    statuses = sorted(Orientation.objects.values_list("status", flat=True))
    assert statuses == sorted([Status.ACCEPTED, Status.REFUSED, Status.SENT, Status.SENT])
    assert abs(answer_delays([ft.pk])[ft.pk] - 4.5) < 0.01  # answered in 3 and 6 days: the measured average
    ft.refresh_from_db()
    assert ft.contact_email and ft.public == "Demandeurs d'emploi inscrits"
    assert mail.outbox == []  # the demo notifies nobody
    call_command("demo_orientations", "-v", "0")
    assert Orientation.objects.count() == 4
