"""Demo orientations (`manage.py demo_orientations`, run by `make run`): the directory's contact details, and a few
orientations between the demo Mission locale and the demo France Travail agency, so that a new user can orient a
person to another structure and accept it there (README, « Premiers pas »). Idempotent: nothing when orientations
exist already."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cep.beneficiaries.models import Beneficiary
from cep.organisations.models import Structure
from cep.referentials.models import ConsentMode, OrientationRefusalReason

from . import services
from .models import Orientation

PUBLICS = {
    "ml": "Jeunes de 16 à 25 ans",
    "france_travail": "Demandeurs d'emploi inscrits",
    "cap_emploi": "Personnes en situation de handicap",
    "apec": "Cadres et jeunes diplômés",
    "operateur_regional": "Actifs occupés (salariés, indépendants), hors agents publics",
}


def fill_directory() -> int:
    """Give every demo structure without contact details a public, an e-mail and a phone (fictitious)."""
    count = 0
    for s in Structure.objects.filter(contact_email=""):
        s.public = PUBLICS.get(s.network_id, "")
        s.contact_email = f"contact@{slugify(s.name)[:40]}.exemple.fr"
        s.contact_phone = f"04 {s.pk % 90 + 10:02d} 00 00 00"
        s.save(update_fields=["public", "contact_email", "contact_phone"])
        count += 1
    return count


def _people(structure, count: int) -> list[Beneficiary]:
    return list(
        Beneficiary.objects.filter(structure=structure, anonymised_at__isnull=True, status="justified").order_by("id")[
            :count
        ]
    )


def _backdate(o: Orientation, days: int, answered_after: int | None = None) -> None:
    """Move an orientation (and its history) `days` back, as if sent then; its answer `answered_after` days later."""
    now = timezone.now()
    sent = now - datetime.timedelta(days=days)
    values = {"sent_at": sent, "last_activity_at": sent, "consent_at": sent}
    if answered_after is not None:
        values["answered_at"] = sent + datetime.timedelta(days=answered_after)
    Orientation.objects.filter(pk=o.pk).update(**values)
    entries = list(o.entries.order_by("id"))
    for i, entry in enumerate(entries):
        entry.at = sent if i == 0 else values.get("answered_at", sent)
        entry.save(update_fields=["at"])


@transaction.atomic
def load(*, ml_counselor, ft_counselor) -> int:
    """The demo orientations; returns how many were created (0 when there are some already)."""
    fill_directory()
    if Orientation.objects.exists():
        return 0
    ml, ft = ml_counselor.structure, ft_counselor.structure
    oral, written = ConsentMode.objects.get(pk="oral"), ConsentMode.objects.get(pk="ecrit")
    people = _people(ml, 4)
    created = 0
    if len(people) < 4:
        return 0
    accepted = services.send_orientation(
        beneficiary=people[0],
        actor=ml_counselor,
        target=ft,
        consent_mode=written,
        comment="Inscription à France Travail souhaitée, projet de reconversion dans la logistique.",
    )
    # the person may already have a dossier at France Travail (the demo's double accompaniments): take it
    known = services.match_candidates(accepted)
    services.accept_orientation(
        orientation=accepted, actor=ft_counselor, match=known[0] if known else None, new_dossier=not known
    )
    _backdate(accepted, 40, answered_after=3)
    refused = services.send_orientation(
        beneficiary=people[1],
        actor=ml_counselor,
        target=ft,
        consent_mode=oral,
        comment="Souhaite un accompagnement vers la formation.",
    )
    services.refuse_orientation(
        orientation=refused,
        actor=ft_counselor,
        reason=OrientationRefusalReason.objects.get(pk="non_joignable"),
        comment="Trois appels et un courriel sans réponse.",
    )
    _backdate(refused, 20, answered_after=6)
    waiting = services.send_orientation(
        beneficiary=people[2],
        actor=ml_counselor,
        target=ft,
        consent_mode=oral,
        comment="Fin de contrat en intérim le mois prochain.",
    )
    _backdate(waiting, 4)
    created += 3
    back = _people(ft, 1)
    if back:
        services.send_orientation(
            beneficiary=back[0],
            actor=ft_counselor,
            target=ml,
            consent_mode=oral,
            comment="Jeune de 22 ans sans qualification : accompagnement Mission locale plus adapté.",
        )
        created += 1
    return created
