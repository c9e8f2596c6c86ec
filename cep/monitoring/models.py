"""The yearly exercise of a région's Transitions Pro ([002]): calendar, meetings, cooperation log, workflow."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from cep.referentials.models import Referential

from . import workflow


class CooperationTheme(Referential):
    """Themes of the cooperation around the CEP ([002] « Le périmètre du suivi », volet 1)."""

    class Meta(Referential.Meta):
        verbose_name = "thème de coopération"
        verbose_name_plural = "thèmes de coopération"


class MilestoneKind(models.TextChoices):
    COOPERATION = "cooperations", "Coopérations en continu"
    WORKSHOP = "atelier", "Atelier France compétences – Transitions Pro"
    DIALOGUE = "dialogue_operateurs", "Réunion de dialogue France compétences – opérateurs"
    DATA = "donnees", "Données CEP transmises"
    DRAFT_EXCHANGES = "echanges_projet", "Échanges avec les opérateurs sur le projet de rapport"
    CREFOP = "crefop", "Présentation du rapport au CREFOP"
    TRANSMISSION = "transmission", "Transmission du rapport à France compétences"


INFORMATIONAL_KINDS = frozenset({MilestoneKind.WORKSHOP, MilestoneKind.DIALOGUE})


class CalendarDate(models.Model):
    """A date of an exercise's calendar: the national one (NationalMilestone) and each exercise's copy (Milestone).
    `reached_by`: the workflow action that completes it, if any."""

    code = models.CharField("code", max_length=40)
    kind = models.CharField("nature", max_length=30, choices=MilestoneKind.choices)
    label = models.CharField("libellé", max_length=255)
    due_on = models.DateField("échéance")
    due_label = models.CharField("échéance (libellé de la source)", max_length=80)
    reached_by = models.CharField("atteint par l'étape", max_length=20, blank=True)
    position = models.PositiveSmallIntegerField("ordre", default=0)

    # The fields an exercise copies from the national calendar (services.open_exercise).
    COPIED = ("code", "kind", "label", "due_on", "due_label", "reached_by", "position")

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.due_label} : {self.label}"


class NationalMilestone(CalendarDate):
    """One date of the national calendar of an exercise, as France compétences publishes it ([002] « Les étapes
    de la méthodologie 2022 »)."""

    exercise_year = models.PositiveSmallIntegerField("exercice")
    source = models.CharField("source", max_length=120, blank=True)

    class Meta:
        ordering = ["exercise_year", "due_on", "position"]
        constraints = [
            models.UniqueConstraint(fields=["exercise_year", "code"], name="national_milestone_once_per_year")
        ]
        verbose_name = "étape du calendrier national"


class ExerciseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A Transitions Pro sees its région's exercises; France compétences and administrators see every région;
        nobody else sees any (the operators read shared drafts, a later part)."""
        from cep.accounts.rights import Right

        if user.has_right(Right.READ_REGIONAL_REPORTS) and not user.structure_id:
            return self
        if user.has_right(Right.REGIONAL_MONITORING) and user.region_id:
            return self.filter(region_id=user.region_id)
        return self.none()


class Exercise(models.Model):
    """The monitoring of the CEP in one région for one year, reported the next year."""

    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, related_name="exercises")
    year = models.PositiveSmallIntegerField("exercice")
    state = models.CharField("état du rapport", max_length=20, choices=workflow.STATES, default=workflow.DRAFT)
    due_on = models.DateField("remise à France compétences au plus tard le")
    shared_on = models.DateField("partagé aux opérateurs le", null=True, blank=True)
    presented_on = models.DateField("présenté au CREFOP le", null=True, blank=True)
    transmitted_on = models.DateField("transmis à France compétences le", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "region__name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="one_exercise_per_region_and_year"),
            models.CheckConstraint(condition=Q(year__gte=2019) & Q(year__lte=2100), name="exercise_year_range"),
            # The dates follow the states: a state reached has its date, a state not reached has none.
            models.CheckConstraint(
                condition=(Q(state=workflow.DRAFT) & Q(shared_on__isnull=True))
                | (~Q(state=workflow.DRAFT) & Q(shared_on__isnull=False)),
                name="exercise_shared_on_follows_state",
            ),
            models.CheckConstraint(
                condition=(Q(state__in=[workflow.PRESENTED, workflow.TRANSMITTED]) & Q(presented_on__isnull=False))
                | (~Q(state__in=[workflow.PRESENTED, workflow.TRANSMITTED]) & Q(presented_on__isnull=True)),
                name="exercise_presented_on_follows_state",
            ),
            models.CheckConstraint(
                condition=(Q(state=workflow.TRANSMITTED) & Q(transmitted_on__isnull=False))
                | (~Q(state=workflow.TRANSMITTED) & Q(transmitted_on__isnull=True)),
                name="exercise_transmitted_on_follows_state",
            ),
        ]
        verbose_name = "exercice de suivi régional"

    def __str__(self):
        return f"Suivi du CEP {self.year} – {self.region}"

    @property
    def state_label(self) -> str:
        return workflow.STATE_LABELS[self.state]

    def is_late(self, today: datetime.date) -> bool:
        """Not sent although the due date has passed, or sent after it."""
        if self.transmitted_on:
            return self.transmitted_on > self.due_on
        return today > self.due_on


class Milestone(CalendarDate):
    """The exercise's own copy of a national date, with its follow-up."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="milestones")
    done_on = models.DateField("réalisé le", null=True, blank=True)
    notes = models.TextField("remarques", blank=True, max_length=2000)

    class Meta:
        ordering = ["due_on", "position"]
        constraints = [models.UniqueConstraint(fields=["exercise", "code"], name="milestone_once_per_exercise")]
        verbose_name = "étape"

    @property
    def is_task(self) -> bool:
        """The Transitions Pro's own work (or what it waits for); France compétences' workshops and its dialogue
        meetings with the operators are dates to know, never « en retard »."""
        return self.kind not in INFORMATIONAL_KINDS

    def status(self, today: datetime.date) -> str:
        if self.done_on:
            return "realisee"
        if not self.is_task:
            return "passee" if today > self.due_on else "a_venir"
        return "en_retard" if today > self.due_on else "a_venir"


class Meeting(models.Model):
    """A meeting with one of the région's CEP operators (the socle: meet each of them, on both parts)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="meetings")
    operator = models.ForeignKey("organisations.Operator", on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField("date de la rencontre")
    participants = models.TextField("participants", max_length=2000)
    themes = models.ManyToManyField(CooperationTheme, verbose_name="thèmes abordés", blank=True, related_name="+")
    notes = models.TextField("compte rendu", blank=True, max_length=20000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = "rencontre avec un opérateur"


class CooperationKind(models.TextChoices):
    ACTION = "action", "Action partagée"
    PARTNERSHIP = "partenariat", "Partenariat opérationnel"
    CREFOP_MEETING = "reunion_crefop", "Réunion annuelle au CREFOP (opérateurs CEP invités)"
    CREFOP_ACTION_SHEET = "fiche_action_crefop", "Action de la « fiche action CREFOP »"


class CooperationStatus(models.TextChoices):
    PLANNED = "prevue", "Prévue"
    ONGOING = "en_cours", "En cours"
    DONE = "realisee", "Réalisée"
    ABANDONED = "abandonnee", "Abandonnée"


class Cooperation(models.Model):
    """An entry of the cooperation log (volet 1): an action, a partnership, the CREFOP meeting, or an action of the
    partners' plan around the CEP (« fiche action CREFOP ») with its follow-up."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="cooperations")
    kind = models.CharField("nature", max_length=30, choices=CooperationKind.choices)
    title = models.CharField("intitulé", max_length=200)
    held_on = models.DateField("date", null=True, blank=True)
    status = models.CharField("suivi", max_length=20, choices=CooperationStatus.choices, default="realisee")
    themes = models.ManyToManyField(CooperationTheme, verbose_name="thèmes", blank=True, related_name="+")
    actors = models.TextField("acteurs", max_length=2000)
    achievements = models.TextField("réalisations", blank=True, max_length=5000)
    levers = models.TextField("leviers", blank=True, max_length=5000)
    difficulties = models.TextField("difficultés", blank=True, max_length=5000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="reunion_crefop") | Q(held_on__isnull=False), name="crefop_meeting_has_a_date"
            )
        ]
        verbose_name = "coopération"


class DocumentKind(models.TextChoices):
    ACTIVITY_REPORT = "bilan", "Rapport ou bilan d'activité"
    STUDY = "etude", "Étude ou diagnostic"
    MINUTES = "compte_rendu", "Compte rendu (CREFOP, comité, réunion)"
    ACTION_PLAN = "plan_action", "Plan d'actions ou « fiche action CREFOP »"
    COMMUNICATION = "communication", "Support d'information ou de communication"
    OTHER = "autre", "Autre document"


class RegionalDocument(models.Model):
    """A public regional document about the CEP ([002] socle: « Capitaliser les documents publics régionaux sur le
    déploiement du CEP »), kept with its checksum. The bytes live in the database (a few MB at most, saved and
    restored with it)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField("titre", max_length=200)
    kind = models.CharField("type", max_length=20, choices=DocumentKind.choices)
    source = models.CharField("source (auteur, organisme)", max_length=200)
    published_on = models.DateField("date du document")
    description = models.TextField("description", blank=True, max_length=2000)
    filename = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField("type de fichier", max_length=100)
    size = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    content = models.BinaryField("contenu")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["exercise", "sha256"], name="regional_document_once")]
        verbose_name = "document régional"


# The report plan of the socle ([002] « Le plan du rapport annuel »): (key, title, what the section holds).
REPORT_PLAN = [
    ("introduction", "Introduction", "Présentation de la démarche de suivi mise en œuvre (structuration interne à la "
     "Transitions Pro et modalités de réalisation au cours de l'année)."),
    ("partie1", "Partie 1 : Les coopérations autour du CEP", "Volet 1 du suivi : modalités de coopération, objets de "
     "coopérations et réalisations, leviers et difficultés."),
    ("partie2", "Partie 2 : Le CEP et les parcours des bénéficiaires en région", "Volet 2 du suivi : qui a recours au "
     "CEP, où, pour quelles demandes, quels services et parcours, quelles spécificités régionales."),
    ("conclusion", "Conclusion", "Perspectives sur le déploiement du CEP en région."),
    ("prolongements", "Prolongements", "Perspectives sur le positionnement de la mission et de sa méthodologie."),
    ("investigations", "Investigations complémentaires (facultatif)", "Enseignements des investigations conduites au "
     "titre des approches complémentaires (non-recours, reconversions, effets du CEP…)."),
]  # fmt: skip


class ReportSection(models.Model):
    """One section of the exercise's report, at its current version; every save is a SectionVersion."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField("identifiant stable", max_length=40)
    position = models.PositiveSmallIntegerField("ordre")
    title = models.CharField("titre", max_length=200)
    guidance = models.CharField("contenu attendu", max_length=500, blank=True)
    body = models.TextField("texte", blank=True, max_length=100_000)
    version = models.PositiveIntegerField("version", default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["exercise", "key"], name="report_section_once")]
        verbose_name = "section du rapport"


class SectionVersion(models.Model):
    """A saved text of a section (append-only: a new save is a new row)."""

    section = models.ForeignKey(ReportSection, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("version")
    body = models.TextField("texte", blank=True)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["section", "number"], name="section_version_once")]
        verbose_name = "version d'une section"


class ReportSnapshot(models.Model):
    """A read-only copy of every section, frozen at each step of the workflow (and each new version shared with the
    operators), with the comment threads and the data part as they stood: what the operators read and comment, and
    what the report's PDF and DOCX are generated from (cep/monitoring/report_files.py). `sha256` is the digest of
    the canonical JSON of sections, threads and data (services.snapshot_digest)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="snapshots")
    number = models.PositiveIntegerField("version partagée")
    state = models.CharField("état", max_length=20, choices=workflow.STATES)
    sections = models.JSONField("sections")  # [{key, title, body, version}]
    # The operators' comment threads as they stood (services.frozen_threads) and the data part's tables
    # (report_files.frozen_data_part): the documents are generated from this copy alone, never from live rows.
    frozen_threads = models.JSONField("fils de commentaires", default=list, blank=True)
    data = models.JSONField("partie données", default=dict, blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["exercise", "number"], name="report_snapshot_once")]
        verbose_name = "version figée du rapport"


class ThreadKind(models.TextChoices):
    COMMENT = "commentaire", "Commentaire"
    REQUEST = "demande", "Demande de modification"


class ThreadStatus(models.TextChoices):
    OPEN = "ouvert", "Ouvert"
    ACCEPTED = "acceptee", "Demande acceptée"
    REFUSED = "refusee", "Demande refusée"
    RESOLVED = "resolu", "Résolu"
    DISAGREEMENT = "desaccord", "Désaccord maintenu"


CLOSED_THREAD_STATUSES = frozenset({ThreadStatus.RESOLVED, ThreadStatus.DISAGREEMENT})


class Thread(models.Model):
    """An operator's comment or change request on a section, anchored to the section's stable id (never to text
    offsets). Answered by the analyst (accepted / refused with a reason), resolved by its author or the analyst, or
    recorded as a lasting disagreement, which the report prints in its own section ([002])."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="threads")
    section_key = models.SlugField("section", max_length=40)
    snapshot = models.ForeignKey(ReportSnapshot, on_delete=models.PROTECT, related_name="threads")
    kind = models.CharField("nature", max_length=20, choices=ThreadKind.choices)
    structure = models.ForeignKey("organisations.Structure", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField("message", max_length=5000)
    status = models.CharField("suivi", max_length=20, choices=ThreadStatus.choices, default=ThreadStatus.OPEN)
    answer = models.TextField("réponse de la Transitions Pro", blank=True, max_length=5000)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="refusee") | ~Q(answer=""), name="refused_request_has_a_reason"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["resolu", "desaccord"], closed_at__isnull=False)
                | (~Q(status__in=["resolu", "desaccord"]) & Q(closed_at__isnull=True)),
                name="closed_thread_has_its_date",
            ),
        ]
        verbose_name = "fil de commentaires"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_THREAD_STATUSES


class Reply(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField("réponse", max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "réponse"


class InvestigationMethod(models.TextChoices):
    DOCUMENTS = "analyse_documentaire", "Analyse documentaire"
    DATA = "donnees", "Appropriation des données régionales et comparaison aux données nationales"
    OBSERVATION = "observation", "Observations"
    INTERVIEWS = "entretiens", "Entretiens"
    SURVEY = "enquete", "Enquête"
    OTHER = "autre", "Autre"


class LegalBasis(models.TextChoices):
    """The lawful bases of the GDPR (article 6.1) a collection from people can rest on."""

    CONSENT = "consentement", "Consentement des personnes (RGPD, art. 6.1 a)"
    PUBLIC_TASK = "mission_interet_public", "Mission d'intérêt public (RGPD, art. 6.1 e)"
    LEGITIMATE_INTEREST = "interet_legitime", "Intérêt légitime (RGPD, art. 6.1 f)"
    LEGAL_OBLIGATION = "obligation_legale", "Obligation légale (RGPD, art. 6.1 c)"


class Investigation(models.Model):
    """A complementary investigation beyond the socle ([002]: non-recours, reconversions, effets du CEP…). Any
    production or collection of data from the partners or their beneficiaries needs the partners' formal consent
    and the data-protection rules ([002] « Une diffusion par France compétences d'un jeu de données CEP »): its legal
    basis and how the people's consent or information is obtained are recorded; the module stores no answer."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="investigations")
    title = models.CharField("intitulé", max_length=200)
    question = models.TextField("questionnement", max_length=2000)
    method = models.CharField("méthode", max_length=30, choices=InvestigationMethod.choices)
    collects_from_people = models.BooleanField(
        "recueille des données auprès des partenaires ou de leurs bénéficiaires", default=False
    )
    partners_consent_on = models.DateField("consentement formel des partenaires le", null=True, blank=True)
    partners_consent_by = models.CharField("partenaires qui ont consenti", max_length=500, blank=True)
    legal_basis = models.CharField("base légale", max_length=30, choices=LegalBasis.choices, blank=True)
    people_consent = models.TextField("information et consentement des personnes", max_length=2000, blank=True)
    data_kept_until = models.DateField("données conservées jusqu'au", null=True, blank=True)
    findings = models.TextField("enseignements", max_length=10000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(collects_from_people=False)
                | (
                    Q(partners_consent_on__isnull=False, data_kept_until__isnull=False)
                    & ~Q(partners_consent_by="")
                    & ~Q(legal_basis="")
                    & ~Q(people_consent="")
                ),
                name="investigation_collecting_data_has_its_consents",
            )
        ]
        verbose_name = "investigation complémentaire"
