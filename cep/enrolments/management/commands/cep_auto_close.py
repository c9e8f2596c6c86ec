"""R9: daily job closing every CEP without manifestation for 6 months. Idempotent.

Run it every day (cron / systemd timer): `python manage.py cep_auto_close`.
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from cep.enrolments.services import auto_close


class Command(BaseCommand):
    help = "Clôture automatique (« Interruption constatée ») des CEP sans manifestation depuis 6 mois."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Date de référence AAAA-MM-JJ (par défaut : aujourd'hui).")

    def handle(self, *args, **options):
        on = None
        if options["date"]:
            try:
                on = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("Date invalide : utilisez le format AAAA-MM-JJ.") from exc
        started = time.monotonic()
        closed = auto_close(on=on)
        self.stdout.write(f"{closed} CEP clôturé(s) automatiquement en {time.monotonic() - started:.1f} s.")
