"""Refresh the monthly indicator aggregates: incremental by default, one month, or a full rebuild.

python manage.py refresh_indicators              # the months touched since the last refresh
python manage.py refresh_indicators --month 2024-03
python manage.py refresh_indicators --all        # full rebuild
"""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cep.common.months import parse_month
from cep.reporting.indicators.refresh import RefreshBusy, refresh


class Command(BaseCommand):
    help = "Actualise les indicateurs agrégés mensuels (tableaux de bord)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--month", help="Recalculer un seul mois (AAAA-MM).")
        group.add_argument("--all", action="store_true", help="Tout recalculer (reconstruction complète).")
        parser.add_argument("--no-progress", action="store_true", help="Sans barre de progression.")

    def handle(self, *args, **options):
        months = None
        if options["month"]:
            try:
                months = [parse_month(options["month"])]
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        bar = None

        def progress(done, total, month):
            nonlocal bar
            if options["no_progress"]:
                return
            if bar is None:
                bar = tqdm(total=total, unit="mois", desc="Indicateurs", file=self.stderr._out)
            bar.set_postfix_str(f"{month:%Y-%m}")
            bar.update(1)

        started = time.monotonic()
        try:
            done = refresh(months=months, full=options["all"], progress=progress)
        except RefreshBusy as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar is not None:
                bar.close()
        elapsed = time.monotonic() - started
        if not done:
            self.stdout.write(f"Indicateurs à jour : aucun mois à recalculer ({elapsed:.2f} s).")
        else:
            span = f"{done[0]:%Y-%m}" if len(done) == 1 else f"{done[0]:%Y-%m} à {done[-1]:%Y-%m}"
            self.stdout.write(f"{len(done)} mois recalculé(s) ({span}) en {elapsed:.2f} s.")
