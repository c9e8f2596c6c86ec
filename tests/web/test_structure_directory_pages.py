"""« Ma structure » › « Modifier la fiche de l'annuaire » (issue 11): the manager edits their own structure's
directory entry; errors in French next to their field (DSFR markup), never a 500; another structure is a 404; the
measured answer delay is shown, never edited; query counts pinned."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cep.accounts.rights import Role
from cep.audit.models import AuditEntry
from cep.orientations.models import Orientation, Status
from cep.orientations.services import send_orientation
from cep.referentials.models import ConsentMode
from tests.factories import BeneficiaryFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "manager:structure_directory"
POST = {
    "served_departments": "2b, 2A ; 1",
    "public": "Jeunes de 16 à 25 ans",
    "contact_email": "contact@ml.example.org",
    "contact_phone": "+33 4 95 00 00 00",
    "address": "1 cours Napoléon, 20000 Ajaccio",
}


def _served(structure):
    return sorted(structure.served_departments.values_list("code", flat=True))


def test_the_manager_edits_the_directory_entry(client, manager, structure):
    client.force_login(manager)
    page = client.get(reverse(URL))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Départements desservis" in html and "Public accueilli" in html and "Pas encore mesuré" in html
    response = client.post(reverse(URL), POST)
    assert response.status_code == 302 and response.url == reverse("manager:structure")
    structure.refresh_from_db()
    assert _served(structure) == ["01", "2A", "2B"]
    assert (structure.public, structure.contact_email, structure.contact_phone, structure.address) == (
        POST["public"],
        POST["contact_email"],
        POST["contact_phone"],
        POST["address"],
    )
    entry = AuditEntry.objects.get(action="update_directory_entry")
    assert entry.actor_id == manager.pk and entry.before["served_departments"] == []
    assert entry.after["served_departments"] == ["01", "2A", "2B"]
    after = client.get(reverse("manager:structure")).content.decode()
    assert "La fiche de la structure dans l&#x27;annuaire est enregistrée." in after
    assert "Jeunes de 16 à 25 ans" in after and "01 – Ain" in after
    edit = client.get(reverse(URL)).content.decode()
    assert 'value="01, 2A, 2B"' in edit  # the form shows what is stored


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("public", "x" * 256, "Assurez-vous que cette valeur comporte au plus 255 caractères"),
        ("contact_email", "pas-un-courriel", "Saisissez une adresse de courriel valide."),
        ("contact_phone", "appelez-nous", "Le téléphone ne contient que des chiffres"),
        ("served_departments", "2A, 99", "Département inconnu : 99."),
        ("address", "nul\x00", "caractère nul"),
    ],
)
def test_a_refused_field_is_shown_in_french_next_to_it(client, manager, structure, field, value, message):
    client.force_login(manager)
    response = client.post(reverse(URL), {**POST, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'"), html[-3000:]
    assert f'id="{response.context["form"][field].auto_id}-desc-error"' in html
    assert "fr-input-group--error" in html and response.context["form"].errors[field]
    structure.refresh_from_db()
    assert structure.public == "" and _served(structure) == []
    assert not AuditEntry.objects.filter(action="update_directory_entry").exists()


def test_another_structure_is_a_404_for_a_manager(client, manager, structure, other_structure):
    client.force_login(manager)
    other = f"{reverse(URL)}?structure={other_structure.pk}"
    assert client.get(other).status_code == 404
    assert client.post(other, POST).status_code == 404
    assert client.post(reverse(URL), {**POST, "structure": other_structure.pk}).status_code == 404
    other_structure.refresh_from_db()
    assert other_structure.public == "" and _served(other_structure) == []
    own = f"{reverse(URL)}?structure={structure.pk}"
    assert client.get(own).status_code == 200  # naming one's own structure is fine


def test_counselor_and_observers_cannot_edit(client, counselor):
    client.force_login(counselor)
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), POST).status_code == 403
    for role in (Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER):
        client.force_login(UserFactory(username=f"o_{role}", role=role, structure=None, region_id="94"))
        assert client.post(reverse(URL), POST).status_code == 403
    assert not AuditEntry.objects.filter(action="update_directory_entry").exists()


def test_an_administrator_chooses_the_structure_first(client, structure):
    admin = UserFactory(username="administrateur", role=Role.ADMIN, structure=None)
    client.force_login(admin)
    assert client.get(reverse(URL)).url == reverse("manager:structure")
    response = client.post(f"{reverse(URL)}?structure={structure.pk}", POST)
    assert response.status_code == 302 and response.url == f"{reverse('manager:structure')}?structure={structure.pk}"
    structure.refresh_from_db()
    assert structure.public == POST["public"]


def _answered_orientations(structure, other_structure, n):
    """n orientations from another structure to `structure`, answered 2 days after sending."""
    sender = UserFactory(username="conseiller_a", role=Role.COUNSELOR, structure=other_structure)
    for i in range(n):
        o = send_orientation(
            beneficiary=BeneficiaryFactory(structure=other_structure, referent=sender, last_name=f"Nom{i}"),
            actor=sender,
            target=structure,
            consent_mode=ConsentMode.objects.get(pk="oral"),
        )
        Orientation.objects.filter(pk=o.pk).update(
            status=Status.REFUSED, refusal_reason_id="autre", answered_at=o.sent_at + datetime.timedelta(days=2)
        )


def test_the_measured_answer_delay_is_shown_read_only(client, manager, structure, other_structure):
    _answered_orientations(structure, other_structure, 2)
    client.force_login(manager)
    for name in ("manager:structure", URL):
        html = client.get(reverse(name)).content.decode()
        assert "2,0 jours en moyenne, mesuré sur 2 orientations reçues et traitées" in html, name
    assert "delay" not in client.get(reverse(URL)).context["form"].fields
    assert timezone.now()  # the delay is not a form field: nothing to post


@pytest.mark.parametrize("rows", [1, 30])
@pytest.mark.parametrize(("name", "budget"), [(URL, 8), ("manager:structure", 10)])
def test_query_counts_are_pinned(
    client, manager, structure, other_structure, rows, name, budget, django_assert_num_queries
):
    """Exactly: session, user, structure, the départements served, the answer delay, session save (3): 8;
    « Ma structure » adds its users and the count of dossiers without a referent. The same with 1 or 30 answered
    orientations and 1 to 4 départements."""
    _answered_orientations(structure, other_structure, rows)
    structure.served_departments.set(["2A", "2B", "01", "69"][: 1 + rows % 4])
    client.force_login(manager)
    with django_assert_num_queries(budget):
        assert client.get(reverse(name)).status_code == 200
