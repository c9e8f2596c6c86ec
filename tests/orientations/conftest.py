import pytest

from cep.orientations.services import send_orientation
from cep.referentials import models as ref


@pytest.fixture
def oral(refdata):
    return ref.ConsentMode.objects.get(code="oral")


@pytest.fixture
def send(beneficiary, counselor, other_structure, oral):
    """Orient the dossier of structure A (`structure`) to B (`other_structure`) by default."""

    def make(**kwargs):
        values = {
            "beneficiary": beneficiary,
            "actor": counselor,
            "target": other_structure,
            "consent_mode": oral,
            "comment": "Projet de reconversion dans le soin.",
        }
        values.update(kwargs)
        return send_orientation(**values)

    return make
