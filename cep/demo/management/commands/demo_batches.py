"""`manage.py demo_batches`: the monthly files of the demo, as if the structures had sent them.

For the months M-3 and M-2 (M = the current month), every demo structure's file is produced, validated and
marked « Transmis » through the same services as the pages, so that a new user finds a history: the national
observer sees received files, and the structure manager who produces last month's file (M-1) gets its
corrections of the months already sent. Does nothing when a batch already exists (make run is re-runnable).
"""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cep.common.dates import add_months, today
from cep.common.months import month_bounds
from cep.demo.guard import ensure_demo_allowed
from cep.enrolments.services import auto_close
from cep.organisations.models import Structure
from cep.reporting.exports.batches import mark_transmitted, produce, request_export
from cep.reporting.exports.models import BatchStatus, ExportBatch


class Command(BaseCommand):
    help = "Produit et transmet les fichiers mensuels de démonstration des mois M-3 et M-2 (si aucun lot n'existe)."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="sans barre de progression")

    def handle(self, *args, no_progress=False, **options):
        ensure_demo_allowed()
        if ExportBatch.objects.exists():
            self.stdout.write("Fichiers mensuels de démonstration : des lots existent déjà, rien à faire.")
            return
        structures = list(Structure.objects.filter(beneficiaries__isnull=False).distinct().order_by("pk"))
        if not structures:
            raise CommandError("Aucune donnée de démonstration : lancez d'abord generate_demo.")
        current = today().replace(day=1)
        months = [add_months(current, -3), add_months(current, -2)]
        started, sent, refused = time.monotonic(), 0, []
        for month in months:
            auto_close(on=month_bounds(month)[1])
            for structure in tqdm(structures, desc=f"Fichiers {month:%m/%Y}", unit="structure", disable=no_progress):
                batch = request_export(actor=None, month=month, structure=structure, run=False)
                batch = produce(batch.pk, run_auto_close=False)
                if batch.status != BatchStatus.VALIDATED:
                    refused.append(f"{structure} {month:%m/%Y} : {batch.job_error or batch.validation_errors[:1]}")
                    continue
                mark_transmitted(batch=batch, actor=None)
                sent += 1
        if refused:
            raise CommandError("Fichiers de démonstration refusés : " + " ; ".join(refused[:3]))
        self.stdout.write(
            f"Fichiers mensuels de démonstration : {sent} lots transmis ({', '.join(f'{m:%m/%Y}' for m in months)}) "
            f"en {time.monotonic() - started:.1f} s."
        )
