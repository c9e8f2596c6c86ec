"""The action plan of a CEP, its financing plan, its versions, and the documents handed to the person
(docs/regles-cep.md §6).

The live rows (plan, steps, actions, training path, complementary services, financing lines) are what the pages and
the API edit; every save through cep/plans/services.py also writes a PlanVersion: a JSON snapshot of the whole plan
(who, when), so that any two versions can be compared field by field and a document can say which version it shows.
"""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from cep.common.scoping import StructureScopedQuerySet


class ActionStatus(models.TextChoices):
    PLANNED = "prevue", "Prévue"
    IN_PROGRESS = "en_cours", "En cours"
    DONE = "realisee", "Réalisée"
    ABANDONED = "abandonnee", "Abandonnée"


class FundingStatus(models.TextChoices):
    CONSIDERED = "envisage", "Envisagé"
    REQUESTED = "sollicite", "Sollicité"
    GRANTED = "accorde", "Accordé"
    REFUSED = "refuse", "Refusé"


class Qualiopi(models.TextChoices):
    CERTIFIED = "certifie", "Certifié Qualiopi"
    NOT_CERTIFIED = "non_certifie", "Non certifié"
    UNKNOWN = "inconnu", "À vérifier"


class CertificationKind(models.TextChoices):
    NONE = "", "Aucune"
    RNCP = "RNCP", "RNCP"
    RS = "RS", "Répertoire spécifique (RS)"


class ActionPlan(models.Model):
    cep = models.OneToOneField("enrolments.Cep", on_delete=models.PROTECT, related_name="action_plan")
    # Copied from the CEP: the per-structure scoping filters on them without a join.
    structure = models.ForeignKey("organisations.Structure", on_delete=models.PROTECT, related_name="+")
    # Indexed although no page reads it: deleting dossiers (an import's undo, the retention) checks this key once
    # per deleted dossier, a scan of every plan without the index.
    beneficiary = models.ForeignKey("beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="action_plans")
    project = models.TextField("description du projet", blank=True)
    strategies = models.TextField("stratégies envisagées", blank=True)
    person_steps = models.TextField("démarches personnelles de la personne", blank=True)
    support_needed = models.TextField("appui méthodologique nécessaire", blank=True)
    total_cost = models.DecimalField(
        "coût total du parcours (€)", max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    version = models.PositiveIntegerField("version", default=0)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "plan d'action"
        verbose_name_plural = "plans d'action"
        constraints = [
            models.CheckConstraint(condition=Q(total_cost__gte=0), name="plan_total_cost_not_negative"),
        ]

    def __str__(self):
        return f"Plan d'action du CEP #{self.cep_id}"


class PlanStep(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField("ordre")
    title = models.CharField("étape", max_length=200)
    objective = models.CharField("objectif intermédiaire", max_length=500, blank=True)
    start_date = models.DateField("début prévu", null=True, blank=True)
    target_date = models.DateField("échéance", null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(target_date__isnull=True)
                | Q(target_date__gte=F("start_date")),
                name="plan_step_dates_in_order",
            ),
        ]


class PlanAction(models.Model):
    step = models.ForeignKey(PlanStep, on_delete=models.CASCADE, related_name="actions")
    label = models.CharField("action", max_length=300)
    who = models.CharField("qui", max_length=200)
    due_date = models.DateField("quand", null=True, blank=True)
    status = models.CharField("état", max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED)

    class Meta:
        ordering = ["due_date", "id"]


class TrainingCourse(models.Model):
    """Parcours de formation: one course of the training path."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="trainings")
    provider = models.CharField("organisme de formation", max_length=200)
    title = models.CharField("intitulé", max_length=300)
    start_date = models.DateField("date de début", null=True, blank=True)
    end_date = models.DateField("date de fin", null=True, blank=True)
    certification_kind = models.CharField(
        "répertoire de la certification", max_length=4, choices=CertificationKind.choices, blank=True
    )
    certification_code = models.CharField("code de la certification", max_length=12, blank=True)
    formacode = models.CharField("Formacode", max_length=5, blank=True)
    formacode_label = models.CharField("libellé du Formacode", max_length=200, blank=True)
    qualiopi = models.CharField(
        "certification Qualiopi de l'organisme", max_length=12, choices=Qualiopi.choices, default=Qualiopi.UNKNOWN
    )

    class Meta:
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(formacode="") | Q(formacode__regex=r"^[0-9]{5}$"), name="formacode_5_digits"
            ),
            models.CheckConstraint(
                condition=Q(certification_kind="", certification_code="")
                | Q(certification_kind="RNCP", certification_code__regex=r"^[0-9]{1,6}$")
                | Q(certification_kind="RS", certification_code__regex=r"^[0-9]{1,6}$"),
                name="certification_code_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="training_dates_in_order",
            ),
        ]


class PlannedService(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="services")
    service = models.ForeignKey(
        "referentials.ComplementaryService", on_delete=models.PROTECT, verbose_name="prestation complémentaire"
    )
    planned_date = models.DateField("date prévue", null=True, blank=True)
    comment = models.CharField("précisions", max_length=300, blank=True)

    class Meta:
        ordering = ["planned_date", "id"]


class FinancingLine(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="financing_lines")
    funder = models.ForeignKey("referentials.Funder", on_delete=models.PROTECT, verbose_name="financeur")
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2, null=True, blank=True)
    status = models.CharField("état", max_length=10, choices=FundingStatus.choices, default=FundingStatus.CONSIDERED)
    comment = models.CharField("précisions", max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="financing_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status="accorde") | Q(amount__isnull=False), name="financing_granted_has_amount"
            ),
        ]


class PlanVersion(models.Model):
    """One saved state of the plan: never changed, never deleted (a comparison reads two of them)."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("version")
    data = models.JSONField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True)
    created_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_plan_version_number")]


class DocumentKind(models.TextChoices):
    LEVEL1 = "niveau1", "Document de niveau 1"
    SYNTHESIS = "synthese", "Document de synthèse"
    STEP_BACK = "prise_de_recul", "Document « Prise de recul »"


class IssuedDocument(models.Model):
    """A copy handed to the person: its bytes, date, author, template version and SHA-256. Never overwritten
    (no service updates it; a database trigger refuses UPDATE and DELETE, migration 0002)."""

    structure = models.ForeignKey("organisations.Structure", on_delete=models.PROTECT, related_name="+")
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="issued_documents"
    )
    kind = models.CharField("document", max_length=16, choices=DocumentKind.choices)
    cep = models.ForeignKey(
        "enrolments.Cep", on_delete=models.PROTECT, null=True, blank=True, related_name="issued_documents"
    )
    service = models.ForeignKey(
        "offers.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="issued_documents"
    )
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    template_version = models.CharField("version du modèle", max_length=20)
    # What was given to the renderer: the same data and template version give the same bytes again.
    data = models.JSONField()
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    size = models.PositiveIntegerField("taille (octets)")
    content = models.BinaryField()
    issued_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True)
    issued_by_label = models.CharField("remis par", max_length=200)
    issued_at = models.DateTimeField("remis le", auto_now_add=True)

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "document remis"
        verbose_name_plural = "documents remis"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["beneficiary", "issued_at"], name="issued_doc_benef_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="niveau1", service__isnull=False) | Q(~Q(kind="niveau1"), cep__isnull=False),
                name="issued_document_has_its_subject",
            ),
        ]

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.beneficiary_id}-{self.issued_at:%Y%m%d}-{self.pk}.pdf"
