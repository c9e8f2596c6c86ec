"""Import batches (issue 11, part 5): a file checked once, its plan saved line by line, applied, undone.

The check (« contrôle », a dry run) reads the file once, streamed, and records an ImportBatch with the file's
SHA-256, its format, detected encoding and delimiter, the column mapping, and one ImportLine per data row with its
planned outcome. It writes nothing else. The confirmation applies that saved plan (never the file again) in one
transaction, in the background; the undo reverts the whole batch while nothing has been built on it.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from cep.common.scoping import StructureScopedQuerySet


class Kind(models.TextChoices):
    BENEFICIARIES = "beneficiaries", "Bénéficiaires"
    CEPS = "ceps", "Dispositifs CEP"
    EVENTS = "events", "Événements"
    SERVICES = "services", "Services"


class Status(models.TextChoices):
    CHECKED = "checked", "Contrôlé (rien n'est encore importé)"
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    APPLIED = "applied", "Importé"
    FAILED = "failed", "Échec"
    UNDONE = "undone", "Annulé"
    # The undo runs in the background too (a batch of 500,000 dossiers takes minutes): applied → to_undo →
    # undoing → undone, or back to applied with job_error when it is refused or fails (nothing undone).
    TO_UNDO = "to_undo", "Annulation en attente"
    UNDOING = "undoing", "Annulation en cours"


ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING, Status.TO_UNDO, Status.UNDOING)
UNDO_STATUSES = (Status.TO_UNDO, Status.UNDOING)


class Outcome(models.TextChoices):
    CREATE = "create", "création"
    UPDATE = "update", "mise à jour"
    DUPLICATE = "duplicate", "doublon"
    UNCHANGED = "unchanged", "inchangé"
    REFUSED = "refused", "refusé"


class BatchQuerySet(StructureScopedQuerySet):
    requires_view_dossier = False  # governed by the right « Importer des données »


class ImportBatch(models.Model):
    structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, related_name="import_batches", db_index=False
    )
    kind = models.CharField("type de fichier", max_length=20, choices=Kind.choices)
    file_name = models.CharField("nom du fichier", max_length=255)
    file_sha256 = models.CharField("empreinte SHA-256 du fichier", max_length=64)
    file_size = models.PositiveBigIntegerField("taille (octets)", default=0)
    file_format = models.CharField("format", max_length=4)  # csv, xlsx
    encoding = models.CharField("encodage", max_length=20, blank=True)  # utf-8-sig, utf-8, cp1252 (CSV only)
    encoding_detected = models.BooleanField("encodage détecté (et non choisi)", default=True)
    delimiter = models.CharField("séparateur", max_length=1, blank=True)
    # File column (as written in its header) -> template column; the columns the template does not know.
    column_mapping = models.JSONField("correspondance des colonnes", default=dict)
    ignored_columns = models.JSONField("colonnes ignorées", default=list, blank=True)

    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.CHECKED)
    line_count = models.PositiveIntegerField("lignes", default=0)
    create_count = models.PositiveIntegerField("créations", default=0)
    update_count = models.PositiveIntegerField("mises à jour", default=0)
    duplicate_count = models.PositiveIntegerField("doublons", default=0)
    unchanged_count = models.PositiveIntegerField("inchangées", default=0)
    refused_count = models.PositiveIntegerField("refusées", default=0)
    # Lines accepted with a warning (a CEP file: the person has a CEP in progress in another structure).
    warning_count = models.PositiveIntegerField("avec un avertissement", default=0)

    # Background job (cep/common/lease.py): the page polls these columns.
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    job_step = models.CharField("étape", max_length=120, blank=True)
    job_error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveIntegerField("tentative", default=1)
    task_id = models.CharField("tâche de fond", max_length=64, blank=True)

    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="déposé par", db_index=False
    )
    created_at = models.DateTimeField("contrôlé le", default=timezone.now)
    confirmed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    confirmed_at = models.DateTimeField("confirmé le", null=True, blank=True)
    applied_at = models.DateTimeField("importé le", null=True, blank=True)
    undone_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    undone_at = models.DateTimeField("annulé le", null=True, blank=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        verbose_name = "lot d'import"
        verbose_name_plural = "lots d'import"
        ordering = ["-id"]
        indexes = [models.Index(fields=["structure", "id"], name="import_batch_struct_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(file_format__in=["csv", "xlsx"]), name="import_batch_known_format"),
        ]

    def __str__(self):
        return f"Import n° {self.pk} – {self.file_name}"

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == Status.APPLIED else 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def is_running(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_undoing(self) -> bool:
        return self.status in UNDO_STATUSES

    @property
    def encoding_label(self) -> str:
        from .reading import ENCODING_LABELS

        return ENCODING_LABELS.get(self.encoding, self.encoding or "—")

    @property
    def delimiter_label(self) -> str:
        return {",": "virgule", ";": "point-virgule"}.get(self.delimiter, "—")

    def counts(self) -> dict[str, int]:
        return {
            Outcome.CREATE: self.create_count,
            Outcome.UPDATE: self.update_count,
            Outcome.DUPLICATE: self.duplicate_count,
            Outcome.UNCHANGED: self.unchanged_count,
            Outcome.REFUSED: self.refused_count,
        }


class ImportLine(models.Model):
    """One data row of the file and its planned outcome. Written by COPY (cep/imports/staging.py), read by SQL.

    No database foreign key to the batch (its check would cost a lookup per line); the lines go with their batch
    (services.delete_batch) and are read by the unique (batch, line_number) index.
    """

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.DO_NOTHING, related_name="lines", db_index=False, db_constraint=False
    )
    line_number = models.PositiveIntegerField("ligne")  # as the spreadsheet numbers it (the header is line 1)
    outcome = models.CharField("résultat prévu", max_length=10, choices=Outcome.choices)
    # The matching key of the person (identity pseudonym), for set-based matching against the structure's dossiers.
    match_key = models.CharField(max_length=64, blank=True)
    # The cleaned values the line writes (JSON, dates ISO, codes), only the cells that were filled.
    data = models.JSONField(null=True, blank=True)
    # update: the dossier's values before, for the fields the line changes (what the undo restores).
    before = models.JSONField(null=True, blank=True)
    # The object matched, or (« create ») the id its row gets at apply, drawn from the table's sequence at check.
    object_id = models.BigIntegerField("objet créé ou rapproché", null=True, blank=True)
    duplicate_of = models.PositiveIntegerField("doublon de la ligne", null=True, blank=True)
    # refused: [{"column", "rule", "message"}…]; raw: the row's cells as read (for the refused-lines file).
    errors = models.JSONField(null=True, blank=True)
    raw = models.JSONField(null=True, blank=True)
    # An accepted line's warnings, written by the plan ([{"column", "rule", "message", …}]; a CEP file: possible
    # double accompaniment, with "elsewhere": [{"network", "structure"}]); they never refuse the line.
    warnings = models.JSONField("avertissements", null=True, blank=True)

    class Meta:
        verbose_name = "ligne d'import"
        ordering = ["batch", "line_number"]
        constraints = [models.UniqueConstraint(fields=["batch", "line_number"], name="import_one_line_number")]
        indexes = [
            models.Index(
                fields=["batch", "line_number"], condition=Q(outcome="refused"), name="import_refused_line_idx"
            ),
            # « Avec un avertissement »: the few warned lines of a large batch, read without scanning the others.
            models.Index(
                fields=["batch", "line_number"], condition=Q(warnings__isnull=False), name="import_warned_line_idx"
            ),
        ]

    def __str__(self):
        return f"ligne {self.line_number} ({self.get_outcome_display()})"
