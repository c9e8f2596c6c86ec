"""Contract 1.2.0 (issue 11, part 1): the identity pseudonym in `entrees`, its correction, past months unchanged."""

import datetime

import pytest

from cep.beneficiaries import services as dossiers
from cep.common.dates import add_months
from cep.reporting.exports import batches, pseudonyms
from cep.reporting.exports.batches import mark_transmitted
from cep.reporting.exports.contract import get_version, version_for_month
from cep.reporting.exports.files import stream_file
from cep.reporting.exports.models import BatchStatus
from tests.reporting.exports.export_fixtures import *  # noqa: F401,F403
from tests.reporting.exports.export_fixtures import build_month, produce

pytestmark = pytest.mark.django_db


def rows(batch, resource) -> list[dict]:
    version = get_version(batch.contract_version)
    text = b"".join(stream_file(batch.pk, version.resources[resource])).decode()
    lines = text.splitlines()
    names = lines[0].split(";")
    return [dict(zip(names, line.split(";"), strict=True)) for line in lines[1:]]


@pytest.fixture
def month():
    """A month of version 1.1.0 whatever today's date (the 1.2.0 tests force their version)."""
    return datetime.date(2025, 6, 1)


@pytest.fixture
def in_1_2_0(monkeypatch):
    """Produce the test months with 1.2.0 (in force from 12/2026, after the last complete month of today)."""
    monkeypatch.setattr(batches, "version_for_month", lambda month: get_version("1.2.0"))


def test_version_1_2_0_is_in_force_from_december_2026_and_only_adds_a_field():
    assert version_for_month(datetime.date(2026, 11, 1)).version == "1.1.0"
    assert version_for_month(datetime.date(2026, 12, 1)).version == "1.2.0"
    old, new = get_version("1.1.0"), get_version("1.2.0")
    assert new.resources["entrees"].fields == (*old.resources["entrees"].fields, "identifiant_personne_identite")
    for name in ("services", "sorties"):
        assert new.resources[name].fields == old.resources[name].fields


def test_1_2_0_entrees_carry_the_identity_pseudonym_and_validate(in_1_2_0, month_data, manager, structure, month):
    batch = produce(actor=manager, month=month, structure=structure)
    assert batch.contract_version == "1.2.0"
    assert batch.status == BatchStatus.VALIDATED, batch.validation_errors
    by_cep = {row["identifiant_cep"]: row for row in rows(batch, "entrees")}
    for key in ("a", "c"):
        cep = month_data[key]
        row = by_cep[pseudonyms.cep_pseudonym(cep.pk)]
        assert row["identifiant_personne_identite"] == cep.beneficiary.identity_pseudonym
        assert row["identifiant_personne"] == pseudonyms.person_pseudonym(cep.beneficiary.person_key)  # unchanged


def test_a_corrected_identity_goes_out_as_a_modification_with_the_new_pseudonym(
    in_1_2_0, structure, counselor, manager, month, cep_refs, event_refs
):
    earlier = add_months(month, -1)
    data = build_month(
        structure=structure, counselor=counselor, month=earlier, cep_refs=cep_refs, event_refs=event_refs, people=[]
    )
    sent = produce(actor=manager, month=earlier, structure=structure)
    mark_transmitted(batch=sent, actor=manager)
    person = data["a"].beneficiary
    old = person.identity_pseudonym
    dossiers.update_beneficiary(beneficiary=person, actor=counselor, first_name="Prénom-Corrigé")
    person.refresh_from_db()
    assert person.identity_pseudonym != old
    following = produce(actor=manager, month=month, structure=structure)
    assert following.status == BatchStatus.VALIDATED, following.validation_errors
    corrections = [r for r in rows(following, "entrees") if r["type_mouvement"] == "modification"]
    assert [(r["identifiant_cep"], r["identifiant_personne_identite"]) for r in corrections] == [
        (pseudonyms.cep_pseudonym(data["a"].pk), person.identity_pseudonym)
    ]


def test_a_past_month_regenerates_byte_identical_under_its_own_version(
    month_data, manager, structure, month, counselor
):
    first = produce(actor=manager, month=month, structure=structure)
    assert first.contract_version == "1.1.0"
    # An identity correction changes nothing in a 1.1.0 file: no identity field there.
    dossiers.update_beneficiary(beneficiary=month_data["a"].beneficiary, actor=counselor, first_name="Autre")
    second = produce(actor=manager, month=month, structure=structure)
    assert second.contract_version == "1.1.0" and second.sha256 == first.sha256
