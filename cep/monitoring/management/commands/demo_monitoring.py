"""`manage.py demo_monitoring`: the demo Transitions Pro's exercises (last year's sent, this year's under way)."""

from django.core.management.base import BaseCommand, CommandError

from cep.accounts.models import User
from cep.accounts.rights import Role
from cep.common.dates import today
from cep.demo.guard import ensure_demo_allowed
from cep.monitoring.demo import load


class Command(BaseCommand):
    help = "Crée les exercices de suivi régional de démonstration (s'ils n'existent pas)."

    def handle(self, *args, **options):
        ensure_demo_allowed()
        analyst = User.objects.filter(role=Role.REGIONAL_OBSERVER, username="observateur.ara").first()
        if analyst is None:
            raise CommandError("Compte observateur.ara absent : lancez d'abord demo_accounts.")
        created = load(analyst, today())
        years = ", ".join(str(e.year) for e in created) or "aucun (déjà présents)"
        if options["verbosity"] >= 1:  # `make run` passes -v 0: the demo accounts stay the last thing printed
            self.stdout.write(f"Suivi régional de démonstration : exercices créés : {years}.")
