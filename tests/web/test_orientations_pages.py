"""Orientation pages (issue 11, part 2): the directory by commune, « Orienter » from a dossier and from the home
page's France Travail list, the orientation's page for both sides (accept, refuse, cancel, messages), the lists
with keyset pagination, the home page's notifications; B never sees A's events or notes; a third structure's
orientation is a 404."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from cep.accounts.rights import Right, Role
from cep.common import keyset
from cep.events.services import record_event
from cep.organisations.models import Structure
from cep.orientations.models import Orientation, Status
from cep.orientations.services import refuse_orientation, send_orientation
from cep.referentials import models as ref
from tests.clock import today
from tests.factories import StructureFactory, UserFactory, withdraw

pytestmark = pytest.mark.django_db
SECRET_NOTE = "Note confidentielle : difficultés familiales"


@pytest.fixture
def b_client(other_counselor):
    c = Client()
    c.force_login(other_counselor)
    return c


@pytest.fixture
def oriented(beneficiary, counselor, other_structure, event_refs):
    record_event(beneficiary=beneficiary, actor=counselor, date=today(), comment=SECRET_NOTE, **event_refs)
    return send_orientation(
        beneficiary=beneficiary,
        actor=counselor,
        target=other_structure,
        consent_mode=ref.ConsentMode.objects.get(code="oral"),
        fields=("phone",),
        comment="Souhaite un accompagnement vers le soin.",
    )


def test_orientation_directory_searches_by_commune_and_orients_from_the_dossier(signed_in, beneficiary, refdata):
    near = StructureFactory(
        name="Cap emploi Ajaccio", operator__network_id="cap_emploi", public="Personnes en situation de handicap"
    )
    far = StructureFactory(name="Mission locale de Bastia", department_id="2B")
    page = signed_in.get(reverse("web:orientation_directory"), {"commune": "2A004", "dossier": beneficiary.pk})
    html = page.content.decode()
    assert page.status_code == 200 and "Structures pour Ajaccio" in html
    assert html.index(near.name) < html.index(far.name)  # serving the commune's département first
    assert "Personnes en situation de handicap" in html and "Pas encore mesuré" in html
    assert reverse("web:orient", args=[beneficiary.pk]) + f"?structure={near.pk}" in html
    # « Orienter » without a structure leads to the directory, with the person's commune
    response = signed_in.get(reverse("web:orient", args=[beneficiary.pk]))
    assert response.status_code == 302 and "commune=2A004" in response.url


def directory_names(html: str) -> list[str]:
    return re.findall(r'data-label="Structure"><strong>([^<]+)</strong>', html)


def next_page(html: str) -> str | None:
    """The « Page suivante » link's query (ampersands unescaped), None on the last page."""
    found = re.search(r'href="\?([^"]*)">Page suivante</a>', html)
    return found and found.group(1).replace("&amp;", "&")


def test_orientation_directory_lists_every_structure_by_pages(signed_in, beneficiary, counselor, refdata):
    """More than a page of structures: « Page suivante » goes on where the page stopped (keyset), keeping the commune,
    the network and the dossier being oriented; every structure but the user's own is listed once, in the order of
    the search (those serving the commune's département first)."""
    from cep.orientations import queries
    from web.views.orientations import DIRECTORY_PAGE

    serving = [StructureFactory(name=f"Structure 2A n°{i:03d}") for i in range(70)]
    region = [StructureFactory(name=f"Structure 2B n°{i:03d}", department_id="2B") for i in range(60)]
    others = {s.name for s in Structure.objects.exclude(pk=counselor.structure_id)}
    url = reverse("web:orientation_directory")

    def walk(query: str) -> list[list[str]]:
        pages = []
        while query is not None:
            html = signed_in.get(f"{url}?{query}").content.decode()
            pages.append(directory_names(html))
            assert ("Première page" in html) is (len(pages) > 1)
            query = next_page(html)
            assert query is None or f"dossier={beneficiary.pk}" in query
            assert len(pages) < 5
        return pages

    by_commune = walk(f"commune=2A004&reseau=ml&dossier={beneficiary.pk}")
    assert [len(p) for p in by_commune] == [DIRECTORY_PAGE, 130 - DIRECTORY_PAGE]
    names = [name for page in by_commune for name in page]
    assert names == [s.name for s in serving] + [s.name for s in region]  # no structure twice, none skipped
    everything = walk(f"dossier={beneficiary.pk}")
    assert len(everything) == 2 and len(everything[0]) == DIRECTORY_PAGE
    assert sorted(name for page in everything for name in page) == sorted(others)
    assert sum(len(p) for p in everything) == len(others)
    assert len(queries.directory_page(exclude=counselor.structure_id, limit=1000)[0]) == len(others)
    # The first page without any parameter is the same page; a cursor the portal did not write is the first page.
    assert directory_names(signed_in.get(url).content.decode()) == everything[0]
    assert directory_names(signed_in.get(url, {"apres": "%%%"}).content.decode()) == everything[0]


def test_orientation_directory_unknown_commune_is_a_french_error(signed_in):
    html = signed_in.get(reverse("web:orientation_directory"), {"commune": "Zzzzyx"}).content.decode()
    assert "Aucune commune ne correspond" in html


def test_orientation_sent_from_the_form_then_accepted_by_b(signed_in, b_client, beneficiary, other_structure):
    url = reverse("web:orient", args=[beneficiary.pk]) + f"?structure={other_structure.pk}"
    page = signed_in.get(url).content.decode()
    assert "Format : jj/mm/aaaa" in page and "Envoyer l'orientation" in page
    response = signed_in.post(
        url,
        {
            "structure": other_structure.pk,
            "fields_sent": ["phone", "commune"],
            "consent_mode": "ecrit",
            "consent_on": today().isoformat(),
            "comment": "Bonjour",
        },
    )
    o = Orientation.objects.get()
    assert response.status_code == 302 and response.url == reverse("web:orientation", args=[o.pk])
    assert o.sent_fields[-2:] == ["phone", "commune"]
    # B: home notification, received list, detail, accept
    assert "Reçues, en attente de votre réponse" in b_client.get(reverse("web:home")).content.decode()
    assert beneficiary.last_name.upper() in b_client.get(reverse("web:orientations_received")).content.decode()
    detail = b_client.get(reverse("web:orientation", args=[o.pk])).content.decode()
    assert "Accepter l'orientation" in detail and "Annuler l'orientation" not in detail
    response = b_client.post(reverse("web:orientation_accept", args=[o.pk]), {})
    o.refresh_from_db()
    assert response.status_code == 302 and o.status == Status.ACCEPTED
    assert b_client.get(reverse("web:dossier", args=[o.target_beneficiary_id])).status_code == 200
    # A: the answer on its home page
    assert "Réponses à vos orientations" in signed_in.get(reverse("web:home")).content.decode()


def test_orientation_send_form_refusal_shows_french_errors(signed_in, beneficiary, other_structure):
    url = reverse("web:orient", args=[beneficiary.pk]) + f"?structure={other_structure.pk}"
    html = signed_in.post(url, {"consent_on": "demain"}).content.decode()
    assert "Indiquez comment la personne a donné son consentement." in html
    assert "Saisissez une date valide" in html and not Orientation.objects.exists()
    future = (today() + datetime.timedelta(days=3)).isoformat()
    html = signed_in.post(url, {"consent_mode": "oral", "consent_on": future}).content.decode()
    assert "futur" in html and not Orientation.objects.exists()


def test_orientation_declined_by_b_with_a_reason(b_client, signed_in, oriented):
    url = reverse("web:orientation_refuse", args=[oriented.pk])
    html = b_client.post(url, {"comment": "x"}).content.decode()
    assert "Choisissez le motif du refus." in html
    response = b_client.post(url, {"reason": "non_joignable", "comment": "Trois appels sans réponse."})
    assert response.status_code == 302
    html = signed_in.get(reverse("web:orientation", args=[oriented.pk])).content.decode()
    assert "Refusée : Non joignable" in html and "Trois appels sans réponse." in html


def test_orientation_b_never_sees_as_events_or_notes(b_client, oriented, beneficiary):
    detail = b_client.get(reverse("web:orientation", args=[oriented.pk])).content.decode()
    assert SECRET_NOTE not in detail and beneficiary.last_name.upper() in detail
    assert reverse("web:dossier", args=[beneficiary.pk]) not in detail  # no link to A's dossier
    for name in ("dossier", "events", "dispositifs", "services", "appointments", "documents"):
        assert b_client.get(reverse(f"web:{name}", args=[beneficiary.pk])).status_code == 404


def test_orientation_of_a_third_structure_is_a_404(oriented, refdata):
    stranger = Client()
    stranger.force_login(UserFactory(username="tiers", role=Role.MANAGER, structure=StructureFactory()))
    for name in ("orientation",):
        assert stranger.get(reverse(f"web:{name}", args=[oriented.pk])).status_code == 404
    for name in ("orientation_message", "orientation_accept", "orientation_refuse", "orientation_cancel"):
        assert stranger.post(reverse(f"web:{name}", args=[oriented.pk]), {"text": "x"}).status_code == 404
    assert Orientation.objects.get(pk=oriented.pk).status == Status.SENT


def test_orientation_a_cancels_and_messages(signed_in, b_client, oriented):
    response = b_client.post(reverse("web:orientation_message", args=[oriented.pk]), {"text": "Quel projet ?"})
    assert response.status_code == 302
    html = signed_in.get(reverse("web:orientation", args=[oriented.pk])).content.decode()
    assert "Quel projet ?" in html and "Annuler l'orientation" in html
    assert signed_in.post(reverse("web:orientation_cancel", args=[oriented.pk]), {}).status_code == 302
    assert Orientation.objects.get(pk=oriented.pk).status == Status.CANCELLED


def test_orientation_b_cannot_cancel_a_french_message_nothing_written(b_client, oriented):
    response = b_client.post(reverse("web:orientation_cancel", args=[oriented.pk]), {}, follow=True)
    assert "Seule la structure d&#x27;origine annule une orientation" in response.content.decode()
    assert Orientation.objects.get(pk=oriented.pk).status == Status.SENT


def test_orientation_consent_withdrawal_from_the_page(signed_in, oriented):
    response = signed_in.post(reverse("web:orientation_withdraw_consent", args=[oriented.pk]))
    oriented.refresh_from_db()
    assert response.status_code == 302 and oriented.status == Status.CANCELLED and oriented.consent_withdrawn_at


def test_orientation_rights_pages_answer_403_without_the_right(
    signed_in, b_client, counselor, other_counselor, oriented
):
    withdraw(counselor, Right.ORIENT)
    assert signed_in.get(reverse("web:orientations_sent")).status_code == 403
    assert signed_in.post(reverse("web:orientation_cancel", args=[oriented.pk])).status_code == 403
    withdraw(other_counselor, Right.HANDLE_ORIENTATIONS)
    assert b_client.get(reverse("web:orientations_received")).status_code == 403
    assert b_client.post(reverse("web:orientation_accept", args=[oriented.pk])).status_code == 403


def test_orientation_lists_paginate_by_keyset(
    b_client, beneficiary, counselor, other_structure, other_counselor, refdata
):
    from tests.factories import BeneficiaryFactory

    for i in range(52):
        person = BeneficiaryFactory(structure=beneficiary.structure, first_name=f"Prénom{i:02d}")
        o = send_orientation(
            beneficiary=person,
            actor=counselor,
            target=other_structure,
            consent_mode=ref.ConsentMode.objects.get(code="oral"),
        )
        if i % 2:
            refuse_orientation(
                orientation=o, actor=other_counselor, reason=ref.OrientationRefusalReason.objects.get(code="doublon")
            )
    first = b_client.get(reverse("web:orientations_received")).content.decode()
    assert "Orientations plus anciennes" in first
    assert "Prénom51" in first and "Prénom00" not in first
    cursor = first.split("?avant=")[1].split('"')[0]
    second = b_client.get(reverse("web:orientations_received") + f"?avant={cursor}").content.decode()
    assert "Prénom00" in second and "Prénom51" not in second and "Orientations plus anciennes" not in second
    only_sent = b_client.get(reverse("web:orientations_received"), {"statut": "envoyee"}).content.decode()
    assert "Prénom50" in only_sent and "Prénom51" not in only_sent
    assert b_client.get(reverse("web:orientations_received"), {"avant": "%%%"}).status_code == 200


def test_orientation_accepted_prefills_the_aiguilleur_of_bs_cep(b_client, oriented, other_counselor):
    from cep.orientations.services import accept_orientation

    o = accept_orientation(orientation=oriented, actor=other_counselor)
    html = b_client.get(reverse("web:cep_add", args=[o.target_beneficiary_id])).content.decode()
    assert 'value="autre_mission_locale" selected' in html


PAGE_BUDGETS = {
    # Measured on a warm session (no session write): the session and the user with their structure, then
    "directory": 7,  # the structures, their served départements, the measured delays, the commune, the networks
    "directory_next": 7,  # the same, from a « Page suivante » cursor
    "directory_all": 6,  # no commune to read
    "orient": 6,  # dossier, target structure, consent modes, (the dossier's header)
    "received": 3,  # the page of rows (refusal reason joined)
    "sent": 3,
    "detail_a": 4,  # the orientation with its labels, its history
    "detail_b": 7,  # + B's possible dossiers (duplicate detection, identity pseudonym), the refusal reasons
}


@pytest.fixture
def pages(oriented, beneficiary, other_structure):
    return {
        "directory": (None, reverse("web:orientation_directory") + "?commune=2A004"),
        "directory_next": (
            None,
            reverse("web:orientation_directory") + f"?commune=2A004&apres={keyset.encode((0, 'Mission locale', 0))}",
        ),
        "directory_all": (None, reverse("web:orientation_directory")),
        "orient": (None, reverse("web:orient", args=[beneficiary.pk]) + f"?structure={other_structure.pk}"),
        "received": ("b", reverse("web:orientations_received")),
        "sent": (None, reverse("web:orientations_sent")),
        "detail_a": (None, reverse("web:orientation", args=[oriented.pk])),
        "detail_b": ("b", reverse("web:orientation", args=[oriented.pk])),
    }


@pytest.mark.parametrize("page", list(PAGE_BUDGETS))
def test_orientation_pages_query_counts_are_pinned(signed_in, b_client, pages, page, django_assert_max_num_queries):
    who, url = pages[page]
    client = b_client if who == "b" else signed_in
    client.get(url)  # warm the session
    with django_assert_max_num_queries(PAGE_BUDGETS[page]):
        assert client.get(url).status_code == 200


def test_orientation_lists_and_directory_do_not_grow_with_rows(
    signed_in, b_client, beneficiary, counselor, other_structure, refdata
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import BeneficiaryFactory

    def count(client, url):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return len(queries)

    urls = [
        (b_client, reverse("web:orientations_received")),
        (signed_in, reverse("web:orientations_sent")),
        (signed_in, reverse("web:orientation_directory") + "?commune=2A004"),
        (signed_in, reverse("web:orientation_directory")),
    ]
    consent = ref.ConsentMode.objects.get(code="oral")
    send_orientation(beneficiary=beneficiary, actor=counselor, target=other_structure, consent_mode=consent)
    few = [count(c, u) for c, u in urls]
    for _ in range(8):
        person = BeneficiaryFactory(structure=beneficiary.structure)
        send_orientation(beneficiary=person, actor=counselor, target=other_structure, consent_mode=consent)
        StructureFactory()
    assert [count(c, u) for c, u in urls] == few
