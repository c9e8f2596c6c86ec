"""`manage.py demo_orientations`: the directory's contact details and a few orientations between the demo Mission
locale and the demo France Travail agency (if there are none yet)."""

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from cep.accounts.models import User
from cep.demo.guard import ensure_demo_allowed
from cep.orientations.demo import load


class Command(BaseCommand):
    help = "Crée les orientations de démonstration (si elles n'existent pas) et complète l'annuaire des structures."

    def handle(self, *args, **options):
        ensure_demo_allowed()
        users = {u.username: u for u in User.objects.filter(username__in=("conseiller.ml", "conseiller.ft"))}
        if len(users) < 2:
            raise CommandError("Comptes conseiller.ml et conseiller.ft absents : lancez d'abord demo_accounts.")
        # The demo's own orientations notify nobody (the console would print their e-mails after the accounts).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            created = load(ml_counselor=users["conseiller.ml"], ft_counselor=users["conseiller.ft"])
        if options["verbosity"] >= 1:  # `make run` passes -v 0: the demo accounts stay the last thing printed
            self.stdout.write(f"Orientations de démonstration créées : {created}.")
