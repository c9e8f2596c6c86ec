"""Manager pages: offer catalogue (read for counselors, write for managers), users, rights, referents."""

import datetime

import pytest
from django.urls import reverse

from cep.accounts.models import User
from cep.accounts.rights import Right, Role
from cep.audit.models import AuditEntry
from cep.beneficiaries.models import Beneficiary
from cep.offers.models import ServiceOffer
from tests.clock import today
from tests.factories import BeneficiaryFactory, UserFactory, withdraw
from tests.web.fixtures_manager import admin_account, make_offer, offer, other_offer, regional_offer  # noqa: F401

STRONG = "Vol-de-nuit-1931!"


def offer_post(referent, **changes):
    data = {
        "origin": "structure",
        "theme": "formation",
        "service_act": "info_conseil_formations",
        "regional_service_act": "",
        "offer_type": "Atelier",
        "name": "Offre CEP niveau 1",
        "kind": "catalogue",
        "partner": "Région Corse",
        "start_date": today().isoformat(),
        "end_date": "",
        "state": "permanente",
        "referent": str(referent.pk),
        "national_measure": "cep",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- offer catalogue


def test_counselor_without_the_offers_right_sees_the_catalogue_read_only(
    client,
    counselor,
    offer,  # noqa: F811
    other_offer,  # noqa: F811
    regional_offer,  # noqa: F811
):
    withdraw(counselor, Right.MANAGE_OFFERS)
    client.force_login(counselor)
    page = client.get(reverse("manager:offers")).content.decode()
    assert offer.name in page and regional_offer.name in page
    assert other_offer.name not in page
    assert reverse("manager:offer_create") not in page
    detail = client.get(reverse("manager:offer_detail", args=[offer.pk]))
    assert detail.status_code == 200
    assert reverse("manager:offer_edit", args=[offer.pk]) not in detail.content.decode()
    assert client.get(reverse("manager:offer_edit", args=[offer.pk])).status_code == 403
    assert client.post(reverse("manager:offer_create"), offer_post(counselor)).status_code == 403
    assert not ServiceOffer.objects.filter(name="Offre CEP niveau 1").exists()


def test_another_structures_offer_is_404(client, manager, other_offer):  # noqa: F811
    client.force_login(manager)
    assert client.get(reverse("manager:offer_detail", args=[other_offer.pk])).status_code == 404
    assert client.get(reverse("manager:offer_edit", args=[other_offer.pk])).status_code == 404


def test_manager_cannot_edit_a_regional_offer(client, manager, regional_offer):  # noqa: F811
    client.force_login(manager)
    assert client.get(reverse("manager:offer_edit", args=[regional_offer.pk])).status_code == 403


def test_manager_creates_an_offer_with_every_field(client, manager, counselor, structure):
    client.force_login(manager)
    form = client.get(reverse("manager:offer_create")).content.decode()
    for label in ("Origine de l&#x27;offre", "Thème", "Acte de service régional", "Conseiller référent", "Etat"):
        assert label in form
    response = client.post(reverse("manager:offer_create"), offer_post(counselor))
    created = ServiceOffer.objects.get(name="Offre CEP niveau 1")
    assert response.status_code == 302 and response.url == reverse("manager:offer_detail", args=[created.pk])
    assert created.structure == structure and created.referent == counselor and created.is_cep_level1
    assert created.partner == "Région Corse" and created.offer_type == "Atelier"
    assert AuditEntry.objects.filter(action="create_offer", object_id=created.pk, actor_id=manager.pk).exists()


def test_offer_end_before_start_is_refused_next_to_the_field(client, manager, counselor):
    client.force_login(manager)
    data = offer_post(counselor, end_date=(today() - datetime.timedelta(days=1)).isoformat())
    response = client.post(reverse("manager:offer_create"), data)
    assert response.status_code == 200
    expected = "La date de fin de l&#x27;offre doit être postérieure ou égale à sa date de début."
    assert expected in response.content.decode()
    assert "end_date" in response.context["form"].errors
    assert not ServiceOffer.objects.exists()


def test_offer_missing_fields_are_reported_in_french(client, manager, counselor):
    client.force_login(manager)
    response = client.post(reverse("manager:offer_create"), offer_post(counselor, name="", start_date="31/02/2024"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "name" in errors and "start_date" in errors
    assert "Ce champ est obligatoire." in response.content.decode()


def test_referent_of_another_structure_is_refused(client, manager, other_counselor):
    client.force_login(manager)
    response = client.post(reverse("manager:offer_create"), offer_post(other_counselor))
    assert response.status_code == 200 and "referent" in response.context["form"].errors
    assert not ServiceOffer.objects.exists()


def test_manager_edits_an_offer(client, manager, offer):  # noqa: F811
    client.force_login(manager)
    page = client.get(reverse("manager:offer_edit", args=[offer.pk])).content.decode()
    assert f'value="{offer.name}"' in page
    data = offer_post(offer.referent, name="Offre CEP renommée", state="fermee", national_measure="")
    response = client.post(reverse("manager:offer_edit", args=[offer.pk]), data)
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.name == "Offre CEP renommée" and offer.state == "fermee" and offer.national_measure == ""
    entry = AuditEntry.objects.get(action="update_offer", object_id=offer.pk)
    assert entry.before["name"] == "Offre CEP" and entry.after["name"] == "Offre CEP renommée"


def test_counselor_holds_the_offers_right_by_default(client, manager, counselor, offer):  # noqa: F811
    assert counselor.extra_rights == [] and counselor.has_right(Right.MANAGE_OFFERS)  # the guide's rights list
    client.force_login(counselor)
    assert client.get(reverse("manager:offer_edit", args=[offer.pk])).status_code == 200


def test_offer_search_filters(client, counselor, structure):
    make_offer(structure, name="Atelier CV", national_measure="", kind="catalogue", partner="Pôle emploi")
    make_offer(structure, name="CEP", kind="dispositif")
    make_offer(
        structure,
        name="Offre mobilité",
        theme_id="mobilite",
        service_act_id="info_conseil_mobilisation",
        offer_type="Permis",
    )
    client.force_login(counselor)

    def names(**params):
        response = client.get(reverse("manager:offers"), params)
        return [o.name for o in response.context["page"].rows]

    assert names() == ["Atelier CV", "CEP", "Offre mobilité"]
    assert names(kind="dispositif") == ["CEP"]
    assert names(q="pôle") == ["Atelier CV"]
    assert names(q="permis") == ["Offre mobilité"]
    assert names(q="mobilisation") == ["Offre mobilité"]  # service act label
    assert names(theme="mobilite") == ["Offre mobilité"]
    assert names(national_measure="aucune") == ["Atelier CV"]
    assert names(national_measure="cep") == ["CEP", "Offre mobilité"]
    assert names(service_act="info_conseil_formations") == ["Atelier CV", "CEP"]


def test_offer_list_keyset_pagination_and_bad_cursor(client, counselor, structure):
    for i in range(30):
        make_offer(structure, name=f"Offre {i:02d}")
    client.force_login(counselor)
    first = client.get(reverse("manager:offers")).context["page"]
    assert len(first.rows) == 25 and first.next_cursor
    second = client.get(reverse("manager:offers"), {"apres": first.next_cursor}).context["page"]
    assert [o.name for o in second.rows] == [f"Offre {i}" for i in range(25, 30)] and second.next_cursor is None
    broken = client.get(reverse("manager:offers"), {"apres": "%%%pas-un-curseur", "theme": "inconnu"})
    assert broken.status_code == 200


@pytest.mark.parametrize("rows", [3, 60])
def test_offer_list_query_count_is_pinned(client, counselor, structure, django_assert_max_num_queries, rows):
    for i in range(rows):
        make_offer(structure, name=f"Offre {i:02d}", referent=counselor)
    client.force_login(counselor)
    # session, user, structure, offers, themes and acts of the filters, session save (3)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("manager:offers"), {"q": "offre", "kind": "catalogue"})
    assert response.status_code == 200


# ---------------------------------------------------------------- structure, users, referents


def test_structure_page_lists_users_with_their_beneficiary_counts(client, manager, counselor, structure):
    leaver = UserFactory(username="partant", role=Role.COUNSELOR, structure=structure, is_active=False)
    BeneficiaryFactory.create_batch(3, structure=structure, referent=leaver)
    BeneficiaryFactory.create_batch(2, structure=structure, referent=counselor)
    BeneficiaryFactory(structure=structure, referent=None)
    client.force_login(manager)
    response = client.get(reverse("manager:structure"))
    counts = {u.username: u.beneficiary_count for u in response.context["users"]}
    assert counts == {"partant": 3, "conseiller": 2, "responsable": 0}
    assert [u.username for u in response.context["orphans"]] == ["partant"]
    page = response.content.decode()
    assert "Des bénéficiaires ont un référent désactivé" in page
    assert "1 bénéficiaire(s) sans conseiller référent" in page


@pytest.mark.parametrize("people", [2, 40])
def test_structure_page_query_count_is_pinned(client, manager, structure, django_assert_max_num_queries, people):
    for i in range(people):
        user = UserFactory(username=f"agent{i}", role=Role.COUNSELOR, structure=structure)
        BeneficiaryFactory(structure=structure, referent=user)
    client.force_login(manager)
    # session, user, structure, users, dossiers without a referent, the directory entry's départements and answer
    # delay, session save (3)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("manager:structure")).status_code == 200


def test_counselor_and_observers_cannot_manage_the_structure(client, counselor):
    client.force_login(counselor)
    assert client.get(reverse("manager:structure")).status_code == 403
    assert client.post(reverse("manager:structure_settings"), {}).status_code == 403


def test_manager_creates_a_user_with_a_strong_password(client, manager, structure):
    client.force_login(manager)
    data = {
        "username": "recrue",
        "first_name": "Léa",
        "last_name": "Martin",
        "email": "",
        "role": "counselor",
        "use_defaults": "on",
        "password": "123456789012",
        "password_confirm": "123456789012",
    }
    weak = client.post(reverse("manager:user_create"), data)
    assert weak.status_code == 200 and "entièrement numérique" in weak.content.decode()
    assert not User.objects.filter(username="recrue").exists()
    data.update(password=STRONG, password_confirm=STRONG, role="admin")
    assert "role" in client.post(reverse("manager:user_create"), data).context["form"].errors
    data["role"] = "counselor"
    response = client.post(reverse("manager:user_create"), data)
    assert response.status_code == 302
    user = User.objects.get(username="recrue")
    assert user.structure == structure and user.check_password(STRONG)


def test_manager_changes_rights_through_the_page(client, manager, counselor):
    client.force_login(manager)
    page = client.get(reverse("manager:user_edit", args=[counselor.pk])).content.decode()
    assert "Gérer des offres de service" in page
    rights = sorted(counselor.rights - {Right.EVENTS})
    response = client.post(reverse("manager:user_edit", args=[counselor.pk]), {"role": "counselor", "rights": rights})
    assert response.status_code == 302
    counselor.refresh_from_db()
    assert counselor.extra_rights == rights
    client.post(reverse("manager:user_edit", args=[counselor.pk]), {"role": "manager", "use_defaults": "on"})
    counselor.refresh_from_db()
    assert counselor.role == Role.MANAGER and counselor.extra_rights == []


def test_another_structures_user_is_404(client, manager, other_counselor):
    client.force_login(manager)
    assert client.get(reverse("manager:user_edit", args=[other_counselor.pk])).status_code == 404
    assert client.post(reverse("manager:user_deactivate", args=[other_counselor.pk])).status_code == 404
    other_counselor.refresh_from_db()
    assert other_counselor.is_active


def test_deactivate_flags_the_beneficiaries_left(client, manager, counselor, structure):
    BeneficiaryFactory.create_batch(2, structure=structure, referent=counselor)
    client.force_login(manager)
    response = client.post(reverse("manager:user_deactivate", args=[counselor.pk]), follow=True)
    counselor.refresh_from_db()
    assert not counselor.is_active
    assert "Il reste le référent de 2 bénéficiaire(s)" in response.content.decode()
    assert client.get(reverse("manager:user_deactivate", args=[counselor.pk])).status_code == 405


def test_bulk_reassignment_with_confirmation(client, manager, counselor, structure):
    successor = UserFactory(username="successeur", role=Role.COUNSELOR, structure=structure)
    BeneficiaryFactory.create_batch(4, structure=structure, referent=counselor)
    client.force_login(manager)
    url = reverse("manager:reassign")
    assert client.get(url, {"de": counselor.pk}).status_code == 200
    confirm = client.post(url, {"from_user": counselor.pk, "to_user": successor.pk})
    assert confirm.status_code == 200 and confirm.context["count"] == 4
    assert "4 bénéficiaire(s)" in confirm.content.decode()
    assert Beneficiary.objects.filter(referent=counselor).count() == 4  # nothing moved before confirmation
    done = client.post(url, {"from_user": counselor.pk, "to_user": successor.pk, "confirm": "on"}, follow=True)
    assert "4 bénéficiaire(s) réattribué(s)" in done.content.decode()
    assert Beneficiary.objects.filter(referent=successor).count() == 4
    assert AuditEntry.objects.filter(action="reassign_referent", actor_id=manager.pk).count() == 4


def test_reassignment_refuses_same_person_and_other_structures(client, manager, counselor, other_counselor):
    client.force_login(manager)
    url = reverse("manager:reassign")
    same = client.post(url, {"from_user": counselor.pk, "to_user": counselor.pk, "confirm": "on"})
    assert "to_user" in same.context["form"].errors
    other = client.post(url, {"from_user": counselor.pk, "to_user": other_counselor.pk, "confirm": "on"})
    assert "to_user" in other.context["form"].errors


def test_structure_setting_through_the_page(client, manager, structure):
    client.force_login(manager)
    response = client.post(reverse("manager:structure_settings"), {}, follow=True)
    structure.refresh_from_db()
    assert structure.distinguishes_phases is False
    assert "Les paramètres de la structure sont enregistrés." in response.content.decode()
    client.post(reverse("manager:structure_settings"), {"distinguishes_phases": "on"})
    structure.refresh_from_db()
    assert structure.distinguishes_phases is True


def test_admin_without_structure_chooses_one(client, admin_account, structure, counselor):  # noqa: F811
    client.force_login(admin_account)
    choice = client.get(reverse("manager:structure"))
    assert choice.status_code == 200 and structure.name in choice.content.decode()
    page = client.get(reverse("manager:structure"), {"structure": structure.pk})
    assert [u.username for u in page.context["users"]] == ["conseiller"]
    assert client.get(reverse("manager:user_edit", args=[counselor.pk])).status_code == 200


def test_admin_without_structure_creates_and_edits_offers(client, admin_account, structure, counselor, regional_offer):  # noqa: F811
    client.force_login(admin_account)
    data = offer_post(counselor, structure=str(structure.pk))
    assert client.post(reverse("manager:offer_create"), data).status_code == 302
    assert ServiceOffer.objects.get(name="Offre CEP niveau 1").structure == structure
    response = client.post(
        reverse("manager:offer_edit", args=[regional_offer.pk]), offer_post(counselor, name="Offre régionale")
    )
    assert response.status_code == 302
    regional_offer.refresh_from_db()
    assert regional_offer.name == "Offre régionale" and regional_offer.structure is None


def test_ids_typed_in_the_url_are_parsed_strictly(client, admin_account, manager, structure, counselor):  # noqa: F811
    """`"²".isdigit()` is True and `int("²")` raises: such ids are ignored, never a 500."""
    client.force_login(admin_account)
    for text in ("²", "1²", "-1", "9" * 30):
        page = client.get(reverse("manager:structure"), {"structure": text})
        assert page.status_code == 200 and "structures" in page.context, text  # the choice of a structure
    client.force_login(manager)
    for text in ("²", "1²", "abc"):
        page = client.get(reverse("manager:reassign"), {"de": text})
        assert page.status_code == 200 and page.context["form"]["from_user"].value() is None, text
    page = client.get(reverse("manager:reassign"), {"de": str(counselor.pk)})
    assert page.context["form"]["from_user"].value() == counselor.pk


def test_french_elision_in_names(client, manager, structure):
    """« Rôle et droits d'Amélie Godard », « Dossier d'Aurélie », « de Léa »: one filter, one function."""
    from cep.common.text import de_name
    from tests.factories import BeneficiaryFactory, UserFactory

    assert de_name("Aurélie") == "d'Aurélie" and de_name("Léa") == "de Léa" and de_name("Émile") == "d'Émile"
    assert de_name("Hugo") == "de Hugo" and de_name("Yann") == "de Yann"
    amelie = UserFactory(first_name="Amélie", last_name="Godard", role="counselor", structure=structure)
    client.force_login(manager)
    page = client.get(reverse("manager:user_edit", args=[amelie.pk])).content.decode()
    assert "Rôle et droits d&#x27;Amélie Godard" in page or "Rôle et droits d'Amélie Godard" in page
    assert "droits de « Amélie" not in page
    aurelie = BeneficiaryFactory(structure=structure, first_name="Aurélie")
    dossier = client.get(reverse("web:dossier", args=[aurelie.pk])).content.decode()
    assert "Dossier d&#x27;Aurélie" in dossier


def test_manager_resets_a_lost_second_factor_from_the_user_page(client, manager, counselor, structure):
    from django_otp.plugins.otp_static.models import StaticDevice

    from cep.accounts.second_factor import set_recovery_codes

    colleague = UserFactory(username="resp2", role=Role.MANAGER, structure=structure)
    set_recovery_codes(colleague, ["11112222"])
    client.force_login(manager)
    page = client.get(reverse("manager:user_edit", args=[colleague.pk])).content.decode()
    assert "Réinitialiser la double authentification" in page
    # A counselor signs in without a second factor: nothing to reset on his page.
    assert (
        "Réinitialiser la double authentification"
        not in client.get(reverse("manager:user_edit", args=[counselor.pk])).content.decode()
    )
    done = client.post(reverse("manager:user_second_factor_reset", args=[colleague.pk]), follow=True)
    assert "est réinitialisée" in done.content.decode()
    assert not StaticDevice.objects.filter(user=colleague).exists()
    again = client.post(reverse("manager:user_second_factor_reset", args=[colleague.pk]), follow=True)
    assert "pas de double authentification enregistrée" in again.content.decode()
    assert AuditEntry.objects.filter(action="reset_second_factor").count() == 1
