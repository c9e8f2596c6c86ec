"""Referentials: data with validity dates, never Python enums scattered in code.

Each referential has a stable ASCII code (its primary key, used in exports and the interface contract),
a French label verbatim from the sources, and a validity period. A value that is no longer valid stays
in the table so that history keeps its meaning (e.g. the 2016 exit reasons).
"""

import datetime

from django.db import models
from django.db.models import Q

from cep.common import dates


class ReferentialQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date | None = None):
        day = day or dates.today()
        return self.filter(Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day)))


class Referential(models.Model):
    code = models.CharField("code", max_length=40, primary_key=True)
    label = models.CharField("libellé", max_length=255)
    position = models.PositiveSmallIntegerField("ordre", default=0)
    valid_from = models.DateField("valide à partir du", default=datetime.date(2014, 1, 1))
    valid_to = models.DateField("valide jusqu'au", null=True, blank=True)
    source = models.CharField("source", max_length=120, blank=True)

    objects = ReferentialQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "label"]

    def __str__(self):
        return self.label

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


class Network(Referential):
    """Réseau d'opérateurs (Missions locales, France Travail, Cap emploi, APEC, opérateurs régionaux…)."""

    short_label = models.CharField("sigle", max_length=40, blank=True)
    min_age = models.PositiveSmallIntegerField("âge minimum du public", null=True, blank=True)
    max_age = models.PositiveSmallIntegerField("âge maximum du public", null=True, blank=True)
    excludes_public_agents = models.BooleanField("exclut les agents publics", default=False)
    # France Travail: follows the job seekers registered there ([002] §3.2.1). Its follow-up of a person another
    # operator delivers the CEP to is not double accompaniment, and its CEP is flagged when the registration ends.
    follows_registered_job_seekers = models.BooleanField("suit les demandeurs d'emploi inscrits", default=False)

    class Meta(Referential.Meta):
        verbose_name = "réseau"
        verbose_name_plural = "réseaux"


class EmploymentStatus(Referential):
    # Students and retirees are eligible only when they hold or seek a job (2019 rule).
    requires_job_holding_or_seeking = models.BooleanField(default=False)
    is_public_agent = models.BooleanField(default=False)
    # A job seeker registered at France Travail ([002] §3.2.1, [004] l.85).
    is_registered_job_seeker = models.BooleanField("demandeur d'emploi inscrit", default=False)

    class Meta(Referential.Meta):
        verbose_name = "situation professionnelle"
        verbose_name_plural = "situations professionnelles"


class QualificationLevel(Referential):
    class Meta(Referential.Meta):
        verbose_name = "niveau de qualification"
        verbose_name_plural = "niveaux de qualification"


class ServiceAct(Referential):
    is_cep_level1 = models.BooleanField("acte de service CEP de niveau 1", default=False)

    class Meta(Referential.Meta):
        verbose_name = "acte de service"
        verbose_name_plural = "actes de service"


class ServiceTheme(Referential):
    class Meta(Referential.Meta):
        verbose_name = "thème d'offre"
        verbose_name_plural = "thèmes d'offre"


class EventContext(Referential):
    class Meta(Referential.Meta):
        verbose_name = "contexte d'événement"
        verbose_name_plural = "contextes d'événement"


class EventNature(Referential):
    # R9: a live contact with the person (interview, workshop, phone, video), whoever took the initiative. A letter,
    # an e-mail or an SMS is not: it counts only when the person sent it (EventDirection.is_from_person).
    is_live_contact = models.BooleanField("contact direct avec la personne", default=False)

    class Meta(Referential.Meta):
        verbose_name = "nature d'événement"
        verbose_name_plural = "natures d'événement"


class EventDirection(Referential):
    # R9: an exchange between the person and the structure (either way), and one the person started. Partner and
    # internal events are neither, hence never manifestations of the person.
    is_with_person = models.BooleanField("entre la personne et la structure", default=False)
    is_from_person = models.BooleanField("à l'initiative de la personne", default=False)

    class Meta(Referential.Meta):
        verbose_name = "sens d'événement"
        verbose_name_plural = "sens d'événement"


class ReceptionPlace(Referential):
    class Meta(Referential.Meta):
        verbose_name = "lieu d'accueil"
        verbose_name_plural = "lieux d'accueil"


class StaffFunction(Referential):
    class Meta(Referential.Meta):
        verbose_name = "fonction"
        verbose_name_plural = "fonctions"


class OrientationSource(Referential):
    """Aiguilleur."""

    requires_level1_service = models.BooleanField("exige un service de niveau 1", default=False)
    # The network whose structures send the person (issue 11, orientation): a dossier received from a structure
    # of that network carries this aiguilleur (« Autre Mission Locale » when both structures share a network).
    network = models.ForeignKey(
        Network,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name="réseau orienteur",
    )

    class Meta(Referential.Meta):
        verbose_name = "aiguilleur"


class RequestReason(Referential):
    """Motif de sollicitation."""

    class Meta(Referential.Meta):
        verbose_name = "motif de sollicitation"
        verbose_name_plural = "motifs de sollicitation"


class ProjectType(Referential):
    """Type de projet."""

    definition = models.TextField("définition", blank=True)

    class Meta(Referential.Meta):
        verbose_name = "type de projet"
        verbose_name_plural = "types de projet"


class ExitReason(Referential):
    """Motif de sortie."""

    requires_project_type = models.BooleanField("exige le type de projet", default=False)
    blocks_reopening = models.BooleanField("interdit la réouverture", default=False)
    is_automatic = models.BooleanField("motif de la sortie automatique", default=False)
    definition = models.TextField("définition", blank=True)

    class Meta(Referential.Meta):
        verbose_name = "motif de sortie"
        verbose_name_plural = "motifs de sortie"


class AppointmentMode(Referential):
    """Modalité d'un rendez-vous: en présentiel or at a distance (téléphone, visioconférence) [002 §3.1].

    What the event of an honoured rendez-vous records (« Honoré » in one click) is data too: its nature and sens,
    and whether it is held at a distance (the event's modalité « À distance », lieu « domicile de la personne »).
    """

    is_remote = models.BooleanField("à distance", default=False)
    event_nature = models.ForeignKey(
        EventNature, on_delete=models.PROTECT, related_name="+", verbose_name="nature de l'événement"
    )
    event_direction = models.ForeignKey(
        EventDirection, on_delete=models.PROTECT, related_name="+", verbose_name="sens de l'événement"
    )

    class Meta(Referential.Meta):
        verbose_name = "modalité de rendez-vous"
        verbose_name_plural = "modalités de rendez-vous"


class Funder(Referential):
    """Financeur d'une ligne du plan de financement (docs/regles-cep.md §6, [002] §3.3.3)."""

    # The person's own contribution is part of the reste à charge, never a funding that lowers it.
    is_person = models.BooleanField("contribution de la personne", default=False)
    # Aids and compensations for disabled people ([002] §3.3.3): their own kinds, shown apart.
    is_disability_aid = models.BooleanField("aide ou compensation liée au handicap", default=False)

    class Meta(Referential.Meta):
        verbose_name = "financeur"


class ComplementaryService(Referential):
    """Prestation complémentaire mobilisée par le plan d'action (docs/regles-cep.md §6, [002] §3.3.3 a)."""

    class Meta(Referential.Meta):
        verbose_name = "prestation complémentaire"
        verbose_name_plural = "prestations complémentaires"


class OrientationRefusalReason(Referential):
    """Motif de refus d'une orientation reçue d'une autre structure (issue 11)."""

    class Meta(Referential.Meta):
        verbose_name = "motif de refus d'orientation"
        verbose_name_plural = "motifs de refus d'orientation"


class ConsentMode(Referential):
    """Forme du consentement de la personne à son orientation (oral, écrit…)."""

    class Meta(Referential.Meta):
        verbose_name = "forme du consentement"
        verbose_name_plural = "formes du consentement"


ALL_REFERENTIALS = [
    Network,
    EmploymentStatus,
    QualificationLevel,
    ServiceAct,
    ServiceTheme,
    EventContext,
    EventNature,
    EventDirection,
    ReceptionPlace,
    StaffFunction,
    OrientationSource,
    RequestReason,
    ProjectType,
    ExitReason,
    AppointmentMode,
    Funder,
    ComplementaryService,
    OrientationRefusalReason,
    ConsentMode,
]
