"""`manage.py demo_appointments`: the demo counselors' coming rendez-vous (today and the next working days)."""

from django.core.management.base import BaseCommand

from cep.demo.appointments import ensure_demo_appointments
from cep.demo.guard import ensure_demo_allowed


class Command(BaseCommand):
    help = "Prend les prochains rendez-vous des conseillers de démonstration (s'ils n'en ont plus à venir)."

    def handle(self, *args, **options):
        ensure_demo_allowed()
        booked = ensure_demo_appointments()
        if options["verbosity"] >= 1:  # `make run` passes -v 0: the demo accounts stay the last thing printed
            self.stdout.write(f"Rendez-vous de démonstration pris : {booked}.")
