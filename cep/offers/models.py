"""Service offers (offres de services) and services proposed to a person (docs/regles-cep.md §3)."""

from django.db import models
from django.db.models import Q

from cep.common.scoping import StructureScopedQuerySet


class OfferQuerySet(StructureScopedQuerySet):
    requires_view_dossier = False  # the catalogue holds no person

    def structure_filter(self, user) -> Q:
        """A structure's own offers and the regional offers of its region."""
        return Q(structure_id=user.structure_id) | Q(structure__isnull=True, region_id=user.structure.region_id)


class OfferOrigin(models.TextChoices):
    STRUCTURE = "structure", "ML"
    OTHER = "autre", "Autre"


class OfferState(models.TextChoices):
    PERMANENT = "permanente", "Permanente"
    TEMPORARY = "ponctuelle", "Ponctuelle"
    CLOSED = "fermee", "Fermée"


class OfferKind(models.TextChoices):
    INTERNAL = "catalogue", "Catalogue interne"
    DISPOSITIF = "dispositif", "Dispositifs"


class NationalMeasure(models.TextChoices):
    NONE = "", "Aucune"
    CEP = "cep", "CEP"


class ServiceOffer(models.Model):
    # A structure's local offer, or a regional offer (structure empty, region set).
    structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, null=True, blank=True, related_name="offers"
    )
    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, null=True, blank=True)
    kind = models.CharField("type d'offre", max_length=20, choices=OfferKind.choices, default=OfferKind.INTERNAL)
    origin = models.CharField("origine de l'offre", max_length=20, choices=OfferOrigin.choices)
    theme = models.ForeignKey("referentials.ServiceTheme", on_delete=models.PROTECT, verbose_name="thème")
    service_act = models.ForeignKey(
        "referentials.ServiceAct", on_delete=models.PROTECT, verbose_name="acte de service"
    )
    regional_service_act = models.CharField("acte de service régional", max_length=200, blank=True)
    offer_type = models.CharField("type", max_length=100, blank=True)
    name = models.CharField("nom de l'offre", max_length=200)
    partner = models.CharField("partenaire", max_length=200, blank=True)
    start_date = models.DateField("date de début")
    end_date = models.DateField("date de fin", null=True, blank=True)
    state = models.CharField("état", max_length=20, choices=OfferState.choices, default=OfferState.PERMANENT)
    referent = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, verbose_name="conseiller référent"
    )
    national_measure = models.CharField(
        "mesure nationale", max_length=10, choices=NationalMeasure.choices, blank=True, default=NationalMeasure.NONE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        verbose_name = "offre de services"
        verbose_name_plural = "offres de services"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="offer_end_after_start",
                violation_error_message="La date de fin de l'offre doit être postérieure ou égale à sa date de début.",
            ),
            models.CheckConstraint(
                condition=Q(structure__isnull=False) | Q(region__isnull=False),
                name="offer_belongs_to_structure_or_region",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_cep(self) -> bool:
        return self.national_measure == NationalMeasure.CEP

    @property
    def is_cep_level1(self) -> bool:
        return self.is_cep and self.service_act.is_cep_level1


class Service(models.Model):
    """An offer proposed to a person (Suivi › Services)."""

    # No index of their own (db_index=False) for the person, the structure and the CEP, which lead composite
    # indexes, nor for the act code (docs/index.md).
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="services", db_index=False
    )
    structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    offer = models.ForeignKey(ServiceOffer, on_delete=models.PROTECT, related_name="services")
    service_act = models.ForeignKey(
        "referentials.ServiceAct", on_delete=models.PROTECT, db_index=False
    )  # copied from the offer
    is_cep_level1 = models.BooleanField(default=False)  # the offer was a CEP level-1 offer when proposed
    proposed_on = models.DateField("date de proposition")
    proposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, null=True, blank=True, related_name="services")
    # The CEP in progress when the service was proposed: counts in national statistics whatever the context.
    cep = models.ForeignKey(
        "enrolments.Cep", on_delete=models.PROTECT, null=True, blank=True, related_name="services", db_index=False
    )
    comment = models.CharField("commentaire", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_on", "-id"]
        indexes = [
            models.Index(fields=["beneficiary", "proposed_on"], name="service_benef_idx"),
            models.Index(fields=["cep", "proposed_on"], name="service_cep_idx"),
            models.Index(fields=["structure", "updated_at"], name="service_struct_upd_idx"),
        ]
