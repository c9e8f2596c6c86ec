"""Orientation data is purged with the dossier's retention (issue 11): the level-1 summary and every message of
the orientations sent from (or received into) an anonymised dossier are emptied; the rows, statuses and dates stay
for the answer-delay measure. An orientation of a dossier still kept is untouched."""

import pytest

from cep.orientations.models import Orientation
from cep.orientations.services import post_message, send_orientation
from cep.referentials import models as ref
from cep.retention import services

from .conftest import GONE_ON, KEPT_ON, make_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def oriented(structure, counselor, other_structure, other_counselor, event_refs):
    dossier = make_dossier(structure=structure, actor=counselor, event_refs=event_refs)
    o = send_orientation(
        beneficiary=dossier,
        actor=counselor,
        target=other_structure,
        consent_mode=ref.ConsentMode.objects.get(code="oral"),
        fields=("phone", "email"),
        comment="Mme Martin souhaite un bilan.",
    )
    post_message(orientation=o, actor=other_counselor, text="Nous la rappelons lundi.")
    return o


def test_orientation_kept_while_the_dossier_is_kept(oriented):
    services.anonymise(on=KEPT_ON)
    o = Orientation.objects.get(pk=oriented.pk)
    assert o.summary["phone"]["value"] == "0612345678" and o.comment


def test_orientation_summary_and_messages_purged_with_the_dossier(oriented):
    services.anonymise(on=GONE_ON)
    o = Orientation.objects.get(pk=oriented.pk)
    assert o.summary == {} and o.comment == "" and o.status == "envoyee"
    assert all(e.comment == "" for e in o.entries.all())
