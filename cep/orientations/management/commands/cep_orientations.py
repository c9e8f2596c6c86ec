"""Orientations' deadlines: expire those without activity for 30 days, remind the receiving structure every 10 days.
Idempotent (a second run finds nothing left to do).

Run it every day (cron / systemd timer): `python manage.py cep_orientations`; `--en-tache` hands the same run to
the background worker (`manage.py db_worker`); `--date` plays it at another moment (tests, catching up).
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cep.orientations.services import run_deadlines


def moment(text: str | None) -> datetime.datetime | None:
    """Noon (Europe/Paris) of the day AAAA-MM-JJ, or None for now."""
    if not text:
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError("Date invalide : utilisez le format AAAA-MM-JJ.") from exc
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


class Command(BaseCommand):
    help = (
        "Orientations : expiration après 30 jours sans réponse, relance de la structure destinataire tous les "
        "10 jours."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="date de référence AAAA-MM-JJ (par défaut : maintenant)")
        parser.add_argument(
            "--en-tache", action="store_true", help="confie le traitement au processus des tâches de fond"
        )

    def handle(self, *args, **options):
        now = moment(options["date"])
        if options["en_tache"]:
            from cep.orientations.tasks import deadlines_task

            result = deadlines_task.enqueue(now=now.isoformat() if now else None)
            self.stdout.write(f"Traitement confié aux tâches de fond (tâche {result.id}).")
            return
        expired, reminded = run_deadlines(now=now)
        self.stdout.write(f"{expired} orientation(s) expirée(s), {reminded} relance(s) envoyée(s).")
