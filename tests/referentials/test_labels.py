"""docs/regles-cep.md §3: outside the Missions locales, « ML » reads « ma structure » (labels only; the codes never
change)."""

import datetime

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.enrolments.models import Cep
from cep.referentials.labels import label_for_network
from tests.api.conftest import client_for
from tests.clock import today
from tests.factories import BeneficiaryFactory, OperatorFactory, StructureFactory, UserFactory


@pytest.mark.parametrize(
    "label,network,expected",
    [
        ("Ma ML – suite niveau 1", "ml", "Ma ML – suite niveau 1"),
        ("Ma ML – suite niveau 1", "france_travail", "Ma structure – suite niveau 1"),
        ("Ma ML – entrée directe niveau 2 ou 3", "apec", "Ma structure – entrée directe niveau 2 ou 3"),
        ("Autre Mission Locale", "ml", "Autre Mission Locale"),
        ("Autre Mission Locale", "cap_emploi", "Autre structure de mon réseau"),
        ("ML", "operateur_regional", "Ma structure"),  # offer origin
        ("ML", "ml", "ML"),
        ("Pôle emploi / France Travail", "france_travail", "Pôle emploi / France Travail"),
        ("Ma ML – suite niveau 1", None, "Ma ML – suite niveau 1"),  # no network: the sources' label
    ],
)
def test_labels_follow_the_network(label, network, expected):
    assert label_for_network(label, network) == expected


@pytest.fixture
def ft_structure(refdata):
    return StructureFactory(name="France Travail Ajaccio", operator=OperatorFactory(network_id="france_travail"))


@pytest.fixture
def ft_counselor(ft_structure):
    return UserFactory(username="conseiller.ft", role=Role.COUNSELOR, structure=ft_structure)


@pytest.mark.django_db
def test_cep_form_and_page_label_the_aiguilleur_by_network(client, ft_structure, ft_counselor, cep_refs):
    beneficiary = BeneficiaryFactory(structure=ft_structure, referent=ft_counselor)
    client.force_login(ft_counselor)
    html = client.get(reverse("web:cep_add", args=[beneficiary.pk])).content.decode()
    assert "Ma structure – entrée directe niveau 2 ou 3" in html and "Autre structure de mon réseau" in html
    assert "Ma ML" not in html and "Autre Mission Locale" not in html
    assert 'value="ma_structure_entree_directe"' in html  # the stored code does not change
    response = client.post(
        reverse("web:cep_add", args=[beneficiary.pk]),
        {
            "orientation_source": "ma_structure_suite_niveau1",
            "entry_date": (today() - datetime.timedelta(days=10)).isoformat(),
            "request_reason": "reconversion",
            "entry_phase": "2",
        },
    )
    assert "L&#x27;aiguilleur « Ma structure – suite niveau 1 »" in response.content.decode()  # AIGUILLEUR
    client.post(
        reverse("web:cep_add", args=[beneficiary.pk]),
        {
            "orientation_source": "ma_structure_entree_directe",
            "entry_date": (today() - datetime.timedelta(days=10)).isoformat(),
            "request_reason": "reconversion",
            "entry_phase": "2",
        },
    )
    cep = Cep.objects.get(beneficiary=beneficiary)
    assert cep.orientation_source_id == "ma_structure_entree_directe"
    page = client.get(reverse("web:dispositifs", args=[beneficiary.pk])).content.decode()
    assert "Ma structure – entrée directe niveau 2 ou 3" in page and "Ma ML" not in page
    history = client.get(reverse("web:cep_history", args=[cep.pk])).content.decode()
    assert "Ma structure – entrée directe niveau 2 ou 3" in history and "Ma ML" not in history


@pytest.mark.django_db
def test_mission_locale_keeps_the_labels_of_the_sources(client, counselor, beneficiary):
    client.force_login(counselor)
    html = client.get(reverse("web:cep_add", args=[beneficiary.pk])).content.decode()
    assert "Ma ML – entrée directe niveau 2 ou 3" in html and "Autre Mission Locale" in html


@pytest.mark.django_db
def test_offer_origin_is_labelled_by_network(client, ft_structure):
    manager = UserFactory(username="responsable.ft", role=Role.MANAGER, structure=ft_structure)
    client.force_login(manager)
    html = client.get(reverse("manager:offer_create")).content.decode()
    assert "Ma structure" in html and ">ML<" not in html and 'value="structure"' in html


@pytest.mark.django_db
def test_api_referential_listing_labels_by_network(ft_counselor, counselor):
    values = client_for(ft_counselor).get("referentials/orientation-sources").json()
    labels = {v["code"]: v["label"] for v in values}
    assert labels["ma_structure_suite_niveau1"] == "Ma structure – suite niveau 1"
    assert labels["autre_mission_locale"] == "Autre structure de mon réseau"
    values = client_for(counselor).get("referentials/orientation-sources").json()
    assert {v["code"]: v["label"] for v in values}["ma_structure_suite_niveau1"] == "Ma ML – suite niveau 1"
