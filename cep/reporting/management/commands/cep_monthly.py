"""`manage.py cep_monthly --month YYYY-MM [--structure ID] [--retry]`: the monthly run for every structure.

Runs the automatic exit once for the last day of the month, then produces, validates and records the batch of
each structure (in the foreground, with a progress bar), and prints a summary. Exit status 1 if a file is
refused by the validation or a production failed.

--retry resumes an interrupted run: for each structure, the month's latest batch is relaunched if it failed (or if
its lease expired: its worker died), kept if it was produced, and produced if there is none; nothing the failed
run had written survives (lines and files removed in the transaction that relaunches).
"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cep.common.dates import today
from cep.common.errors import RuleViolation
from cep.common.months import month_bounds
from cep.organisations.models import Structure
from cep.reporting.exports.batches import expire_stale, parse_month, produce, relaunch_export, request_export
from cep.reporting.exports.models import BatchStatus, ExportBatch, JobState, Scope


class Command(BaseCommand):
    help = "Produit et valide le fichier mensuel de chaque structure pour un mois (sortie automatique préalable)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="Mois déclaré, AAAA-MM.")
        parser.add_argument("--structure", type=int, help="Identifiant d'une seule structure.")
        parser.add_argument(
            "--retry",
            action="store_true",
            help="Reprendre un passage interrompu : relancer les lots en échec (ou dont le traitement est mort), "
            "garder ceux déjà produits, produire les manquants.",
        )

    def handle(self, *args, month, structure=None, retry=False, **options):
        from cep.enrolments.services import auto_close

        try:
            month = parse_month(month)
        except RuleViolation as exc:
            raise CommandError(exc.message)
        structures = Structure.objects.order_by("pk")
        if structure is not None:
            structures = structures.filter(pk=structure)
            if not structures.exists():
                raise CommandError(f"La structure {structure} n'existe pas.")
        closed = auto_close(on=min(month_bounds(month)[1], today()))
        self.stdout.write(
            f"Sortie automatique au {min(month_bounds(month)[1], today()):%d/%m/%Y} : {closed} CEP clôturé(s)."
        )
        summary = {"validated": 0, "refused": 0, "failed": 0, "rows": 0}
        problems = []
        summary["kept"] = summary["relaunched"] = 0
        for s in tqdm(list(structures), desc=f"Fichiers {month:%m/%Y}", unit="structure", file=self.stderr):
            try:
                batch = self._batch_to_produce(s, month, retry, summary)
            except RuleViolation as exc:
                raise CommandError(exc.message)
            if batch.job_state == JobState.QUEUED:
                batch = produce(batch.pk, run_auto_close=False)
            summary["rows"] += batch.row_count
            if batch.job_state == JobState.FAILED:
                summary["failed"] += 1
                problems.append(f"{s} (lot {batch.pk}) : échec – {batch.job_error}")
            elif batch.status in (BatchStatus.VALIDATED, BatchStatus.TRANSMITTED, BatchStatus.ACKNOWLEDGED):
                summary["validated"] += 1
            else:
                summary["refused"] += 1
                first = batch.validation_errors[0] if batch.validation_errors else {}
                problems.append(
                    f"{s} (lot {batch.pk}) : {batch.error_count} erreur(s), par exemple fichier {first.get('file')} "
                    f"ligne {first.get('row')} champ {first.get('field')} : {first.get('message')}"
                )
        for line in problems:
            self.stdout.write(self.style.WARNING(line))
        self.stdout.write(
            f"Mois {month:%m/%Y} : {summary['validated']} lot(s) validé(s), {summary['refused']} refusé(s) par le "
            f"contrôle, {summary['failed']} en échec ; {summary['rows']} ligne(s) au total."
        )
        if retry:
            self.stdout.write(
                f"Reprise : {summary['relaunched']} lot(s) relancé(s), "
                f"{summary['kept']} lot(s) déjà produit(s) gardé(s)."
            )
        if problems:
            raise SystemExit(1)

    def _batch_to_produce(self, structure, month, retry: bool, summary: dict):
        """A new batch; with --retry, the month's latest batch relaunched (failed) or kept (produced)."""
        if retry:
            same_month = ExportBatch.objects.filter(scope=Scope.STRUCTURE, structure=structure, month=month)
            expire_stale(same_month)
            latest = same_month.order_by("-pk").first()
            if latest is not None and latest.job_state == JobState.FAILED:
                summary["relaunched"] += 1
                return relaunch_export(batch=latest, actor=None, run=False)
            if latest is not None and latest.job_state == JobState.DONE:
                summary["kept"] += 1
                return latest
        return request_export(actor=None, month=month, structure=structure, run=False)
