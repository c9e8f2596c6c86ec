"""Issue 11, part 1: one identity pseudonym per person, the same in every structure."""

import datetime
import types

import pytest
from django.db import connection
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from cep.beneficiaries import identity
from cep.beneficiaries import services as dossiers
from cep.beneficiaries.models import Beneficiary
from cep.reporting.exports import pseudonyms
from tests.factories import BeneficiaryFactory, StructureFactory

BIRTH = datetime.date(1990, 5, 17)
PERSON = {"last_name": "Dupont-Martin", "birth_name": "", "first_name": "Élodie", "birth_date": BIRTH, "sex": "F"}


def test_typography_does_not_change_the_pseudonym():
    reference = identity.identity_pseudonym(**PERSON)
    for variant in (
        {"last_name": "DUPONT MARTIN", "first_name": "elodie"},
        {"last_name": "  dupont  martin ", "first_name": "ÉLODIE"},
        {"last_name": "Dupont'Martin", "first_name": "Elodie"},
    ):
        assert identity.identity_pseudonym(**{**PERSON, **variant}) == reference
    assert len(reference) == 32 and int(reference, 16) >= 0


def test_the_birth_name_identifies_the_person_when_it_is_known():
    married = {**PERSON, "last_name": "Leroy", "birth_name": "Dupont-Martin"}
    assert identity.identity_pseudonym(**married) == identity.identity_pseudonym(**PERSON)


def test_each_identity_field_changes_the_pseudonym():
    reference = identity.identity_pseudonym(**PERSON)
    for change in (
        {"last_name": "Dupont"},
        {"first_name": "Élodie Anne"},
        {"birth_date": BIRTH + datetime.timedelta(days=1)},
        {"sex": "M"},
    ):
        assert identity.identity_pseudonym(**{**PERSON, **change}) != reference


@given(
    st.tuples(st.sampled_from(["Martin", "Bernard", "Nguyen", "Da Silva"]), st.sampled_from(["Léa", "Louis", "Inès"])),
    st.tuples(st.sampled_from(["Martin", "Bernard", "Nguyen", "Da Silva"]), st.sampled_from(["Léa", "Louis", "Inès"])),
    st.dates(datetime.date(1940, 1, 1), datetime.date(2010, 12, 31)),
    st.dates(datetime.date(1940, 1, 1), datetime.date(2010, 12, 31)),
    st.sampled_from("FM"),
    st.sampled_from("FM"),
)
def test_two_different_identities_never_share_the_pseudonym(names_a, names_b, day_a, day_b, sex_a, sex_b):
    a = identity.identity_pseudonym(
        last_name=names_a[0], birth_name="", first_name=names_a[1], birth_date=day_a, sex=sex_a
    )
    b = identity.identity_pseudonym(
        last_name=names_b[0], birth_name="", first_name=names_b[1], birth_date=day_b, sex=sex_b
    )
    assert (a == b) == ((names_a, day_a, sex_a) == (names_b, day_b, sex_b))


def test_the_key_is_derived_from_the_deployment_secret():
    reference = identity.identity_pseudonym(**PERSON)
    with override_settings(PSEUDONYM_SECRET="un-autre-secret-de-deploiement"):
        assert identity.identity_pseudonym(**PERSON) != reference
    # Never the plain HMAC of the monthly file's pseudonyms: a derived key of its own.
    assert reference != pseudonyms.pseudonym(identity.canonical_identity(**PERSON))


@pytest.mark.django_db
def test_two_dossiers_of_the_same_person_in_two_structures_share_the_identity_pseudonym(refdata):
    a = BeneficiaryFactory(structure=StructureFactory(), **PERSON)
    b = BeneficiaryFactory(
        structure=StructureFactory(), last_name="DUPONT MARTIN", first_name="Elodie", birth_date=BIRTH, sex="F"
    )
    other = BeneficiaryFactory(structure=b.structure, last_name="Dupont-Martin", first_name="Élodie", sex="F")
    assert a.person_key != b.person_key  # two dossiers, two dossier pseudonyms…
    assert a.identity_pseudonym == b.identity_pseudonym == identity.of(a)  # …one person
    assert other.identity_pseudonym != a.identity_pseudonym  # born another day: another person


@pytest.mark.django_db
def test_the_services_compute_and_recompute_it(structure, counselor):
    fields = {
        "last_name": "Durand",
        "first_name": "Paul",
        "sex": "M",
        "birth_date": BIRTH,
        "first_reception_date": datetime.date(2024, 1, 2),
    }
    b = dossiers.create_beneficiary(structure=structure, actor=counselor, **fields)
    first = b.identity_pseudonym
    assert first == identity.identity_pseudonym(
        birth_name="", **{k: fields[k] for k in ("last_name", "first_name", "sex", "birth_date")}
    )
    dossiers.update_beneficiary(beneficiary=b, actor=counselor, email="paul@exemple.fr")
    b.refresh_from_db()
    assert b.identity_pseudonym == first  # contact details are not the identity
    dossiers.update_beneficiary(beneficiary=b, actor=counselor, first_name="Pierre")
    b.refresh_from_db()
    assert b.identity_pseudonym != first and b.identity_pseudonym == identity.of(b)


@pytest.mark.django_db
def test_the_data_migration_fills_existing_dossiers_set_based(refdata, django_assert_max_num_queries):
    from importlib import import_module

    fill = import_module("cep.beneficiaries.migrations.0005_identity_pseudonym").fill
    kept = BeneficiaryFactory(**PERSON)
    anonymised = BeneficiaryFactory(last_name="Anonyme", first_name="Anonyme")
    Beneficiary.objects.filter(pk=anonymised.pk).update(anonymised_at=datetime.datetime.now(datetime.UTC))
    before = dict(Beneficiary.objects.values_list("pk", "updated_at"))
    Beneficiary.objects.update(identity_pseudonym="")
    with django_assert_max_num_queries(3):  # one SELECT and one UPDATE per chunk, then the empty SELECT
        fill(None, types.SimpleNamespace(connection=connection))
    kept.refresh_from_db()
    anonymised.refresh_from_db()
    assert kept.identity_pseudonym == identity.identity_pseudonym(**PERSON)
    assert anonymised.identity_pseudonym == identity.dossier_identity_pseudonym(anonymised.person_key)
    assert dict(Beneficiary.objects.values_list("pk", "updated_at")) == before  # no monthly line moves
