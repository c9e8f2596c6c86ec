"""Durée de conservation: anonymise the dossiers without contact for N months, purge the RQTH access log.

Run it every day (cron / systemd timer), after a first `--dry-run`: `python manage.py cep_retention`.
`--en-tache` hands the same run to the background worker (`manage.py db_worker`) instead.
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cep.common.dates import fr, today
from cep.common.errors import RuleViolation
from cep.retention import queries, rules, services


def _n(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


class Command(BaseCommand):
    help = (
        "Durée de conservation : anonymise les dossiers sans contact depuis N mois (24 par défaut, réglage "
        "CEP_RETENTION_MONTHS) et sans CEP en cours ; supprime le journal des accès à la RQTH de plus de 12 mois."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="affiche les nombres sans rien écrire")
        parser.add_argument("--months", help="durée sans contact, en mois (par défaut : CEP_RETENTION_MONTHS)")
        parser.add_argument("--date", help="date de référence AAAA-MM-JJ (par défaut : aujourd'hui)")
        parser.add_argument("--no-progress", action="store_true", help="sans barre de progression")
        parser.add_argument(
            "--en-tache", action="store_true", help="confie le traitement au processus des tâches de fond"
        )

    def handle(self, *args, **options):
        on = today()
        if options["date"]:
            try:
                on = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("Date invalide : utilisez le format AAAA-MM-JJ.") from exc
        try:
            months = services.retention_months(options["months"])
        except RuleViolation as exc:
            raise CommandError(exc.message) from exc

        plan = queries.plan(on=on, months=months)
        self._announce(plan)
        if options["dry_run"]:
            self.stdout.write("Simulation (--dry-run) : rien n'a été écrit.")
            return
        if options["en_tache"]:
            from cep.retention.tasks import retention_task

            result = retention_task.enqueue(on=on.isoformat(), months=months)
            self.stdout.write(f"Traitement confié aux tâches de fond (tâche {result.id}).")
            return

        started = time.monotonic()
        with tqdm(total=plan.dossiers, unit=" dossiers", desc="Anonymisation", disable=options["no_progress"]) as bar:
            anonymised, redacted = services.anonymise(on=on, months=months, progress=bar.update)
        purged = services.purge_sensitive_access()
        self.stdout.write(
            f"{_n(anonymised)} dossier(s) anonymisé(s), {_n(redacted)} entrée(s) d'historique expurgée(s), "
            f"{_n(purged)} ligne(s) du journal des accès à la RQTH supprimée(s), "
            f"en {time.monotonic() - started:.1f} s."
        )

    def _announce(self, plan: queries.Plan) -> None:
        self.stdout.write(
            f"Dossiers sans contact depuis le {fr(plan.cutoff)} ({plan.months} mois) et sans CEP en cours, "
            f"à anonymiser : {_n(plan.dossiers)}"
        )
        for pk, name, count in plan.per_structure:
            self.stdout.write(f"  {name} (n° {pk}) : {_n(count)}")
        self.stdout.write(
            f"Journal des accès à la RQTH, lignes de plus de {rules.SENSITIVE_ACCESS_MONTHS} mois à supprimer : "
            f"{_n(plan.expired_log_rows)}"
        )
