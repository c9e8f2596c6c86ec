"""The beneficiary dossier (docs/regles-cep.md §2)."""

import uuid

from django.db import models
from django.db.models import Q

from cep.common.scoping import StructureScopedQuerySet
from cep.common.text import normalize_name

from . import identity


class DossierStatus(models.TextChoices):
    INCOMPLETE = "incomplete", "À compléter"
    JUSTIFIED = "justified", "Justifié"


class Sex(models.TextChoices):
    FEMALE = "F", "Femme"
    MALE = "M", "Homme"


class Beneficiary(models.Model):
    # Foreign keys without an index of their own (db_index=False): the structure and the referent lead composite
    # indexes (benef_struct_name_idx, benef_referent_name_idx), and territories and referential codes serve no
    # lookup (docs/index.md).
    structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, related_name="beneficiaries", db_index=False
    )
    referent = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="beneficiaries",
        verbose_name="conseiller référent",
    )
    # Stable person key: the keyed pseudonym of exports is derived from it, never from the name.
    person_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # One per person, the same in every structure: keyed hash of the normalised identity (cep/beneficiaries/
    # identity.py), recomputed on every save of a dossier not anonymised; the retention keeps it as it is.
    identity_pseudonym = models.CharField(max_length=32, editable=False, blank=True, default="")

    # Identité
    last_name = models.CharField("nom", max_length=100)
    first_name = models.CharField("prénom", max_length=100)
    birth_name = models.CharField("nom de naissance", max_length=100, blank=True)
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("date de naissance")
    search_name = models.CharField(max_length=210, editable=False, db_index=False)

    # Coordonnées
    email = models.EmailField("courriel", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    address = models.CharField("adresse", max_length=255, blank=True)
    commune = models.ForeignKey(
        "organisations.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        verbose_name="commune de résidence",
    )
    department = models.ForeignKey(
        "organisations.Department", on_delete=models.PROTECT, null=True, blank=True, editable=False, db_index=False
    )
    region = models.ForeignKey(
        "organisations.Region", on_delete=models.PROTECT, null=True, blank=True, editable=False, db_index=False
    )

    # Compléments
    employment_status = models.ForeignKey(
        "referentials.EmploymentStatus",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        verbose_name="situation professionnelle",
    )
    holds_or_seeks_job = models.BooleanField(
        "occupe ou recherche un emploi",
        default=True,
        help_text="Pour un étudiant ou un retraité : il occupe ou recherche un emploi.",
    )
    qualification_level = models.ForeignKey(
        "referentials.QualificationLevel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        verbose_name="niveau de qualification",
    )
    # Sensitive data: every read through a page or the API is logged (audit.SensitiveAccess).
    has_rqth = models.BooleanField("reconnaissance de la qualité de travailleur handicapé (RQTH)", default=False)
    target_rome_code = models.CharField("code ROME du métier visé", max_length=5, blank=True)

    first_reception_date = models.DateField("date de premier accueil")
    status = models.CharField(
        "statut du dossier", max_length=20, choices=DossierStatus.choices, default=DossierStatus.INCOMPLETE
    )
    justified_at = models.DateTimeField(null=True, blank=True)
    # Set by the retention job (cep/retention): the identity, contact details and free texts were cleared; what the
    # monthly file and the indicators read stays (docs/decisions.md, « Durée de conservation »).
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "bénéficiaire"
        indexes = [
            models.Index(fields=["structure", "search_name", "id"], name="benef_struct_name_idx"),
            models.Index(fields=["structure", "birth_date"], name="benef_struct_birth_idx"),
            models.Index(fields=["referent", "search_name", "id"], name="benef_referent_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_reception_date__gte=models.F("birth_date")),
                name="first_reception_after_birth",
                violation_error_message="La date de premier accueil est postérieure à la date de naissance.",
            ),
            models.CheckConstraint(
                condition=Q(status="incomplete") | Q(status="justified", justified_at__isnull=False),
                name="justified_has_a_date",
            ),
        ]

    def __str__(self):
        return f"{self.last_name.upper()} {self.first_name}"

    def save(self, *args, **kwargs):
        self.search_name = normalize_name(f"{self.last_name} {self.first_name}")
        if self.anonymised_at is None and self.birth_date:
            self.identity_pseudonym = identity.of(self)
        if self.commune_id:
            from cep.organisations.models import Commune

            self.department_id, self.region_id = (
                Commune.objects.filter(pk=self.commune_id).values_list("department_id", "department__region_id").get()
            )
        super().save(*args, **kwargs)

    @property
    def is_justified(self) -> bool:
        return self.status == DossierStatus.JUSTIFIED


class NameWord(models.Model):
    """One word of a dossier's normalised name (or its phone digits), for the search (cep/enrolments/queries.py).

    Keyed by (structure, word, beneficiary): a typed word is a prefix range of one structure's words, whatever the
    size of the country. Written only by PostgreSQL triggers on beneficiaries_beneficiary (migration
    0006_search_words), so every writer keeps it in step: the services, the demo generator's COPY, the retention
    job's SQL. No foreign-key constraint: the triggers delete a dossier's words with it (an FK would cost an index on
    beneficiary_id for the check on delete).
    """

    pk = models.CompositePrimaryKey("structure_id", "word", "beneficiary_id")
    structure_id = models.BigIntegerField()
    # "C" collation: `word LIKE 'abc%'` is a range of the primary key's index.
    word = models.CharField(max_length=210, db_collation="C")
    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # The dossier's sort key, copied: a page of matches is read, sorted and counted from the index alone.
    search_name = models.CharField(max_length=210)

    class Meta:
        verbose_name = "mot du nom"
        indexes = [
            models.Index(
                fields=["structure_id", "word", "search_name", "beneficiary"], name="nameword_prefix_order_idx"
            )
        ]
