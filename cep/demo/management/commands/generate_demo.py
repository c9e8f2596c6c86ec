import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cep.beneficiaries.models import Beneficiary
from cep.demo.guard import ensure_demo_allowed
from cep.demo.loader import load
from cep.demo.world import build_world


class Command(BaseCommand):
    help = (
        "Génère une population de démonstration réaliste et reproductible (mêmes paramètres et même graine, "
        "mêmes données) : structures des cinq réseaux, conseillers, bénéficiaires, événements, services et CEP "
        "dans tous les états."
    )

    def add_arguments(self, parser):
        parser.add_argument("--beneficiaries", type=int, default=2000, help="nombre de bénéficiaires (2000)")
        parser.add_argument("--seed", type=int, default=42, help="graine du générateur (42)")
        parser.add_argument("--months", type=int, default=18, help="profondeur d'historique en mois (18)")
        parser.add_argument("--if-empty", action="store_true", help="ne rien faire si des bénéficiaires existent déjà")
        parser.add_argument("--batch", type=int, default=5000, help="bénéficiaires par lot d'écriture (5000)")
        parser.add_argument("--today", help="date du jour simulée, AAAA-MM-JJ (par défaut : aujourd'hui)")
        parser.add_argument("--no-progress", action="store_true", help="sans barre de progression")
        parser.add_argument(
            "--history",
            choices=["full", "open"],
            help="historique des CEP : toutes les actions (full, par défaut jusqu'à 100 000 bénéficiaires) "
            "ou l'ouverture seule (open, par défaut au-delà)",
        )

    def handle(self, *args, **options):
        ensure_demo_allowed()
        count, months = options["beneficiaries"], options["months"]
        if count < 1:
            raise CommandError("Le nombre de bénéficiaires doit être au moins 1.")
        if not 7 <= months <= 120:
            raise CommandError("La profondeur d'historique est comprise entre 7 et 120 mois.")
        day = None
        if options["today"]:
            try:
                day = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("La date du jour s'écrit AAAA-MM-JJ.")
        if options["if_empty"] and Beneficiary.objects.exists():
            self.stdout.write("Des bénéficiaires existent déjà : aucune donnée de démonstration générée.")
            return
        started = time.monotonic()
        history = options["history"] or ("full" if count <= 100_000 else "open")
        world = build_world(
            beneficiaries=count, seed=options["seed"], months=months, day=day, full_history=history == "full"
        )
        with tqdm(
            total=count, unit=" bénéf.", desc="Génération", disable=options["no_progress"], smoothing=0.05
        ) as bar:
            totals = load(world, count, batch=max(100, options["batch"]), progress=bar.update)
        elapsed = time.monotonic() - started
        n = {table: f"{value:,}".replace(",", "\u202f") for table, value in totals.items()}
        self.stdout.write(
            self.style.SUCCESS(
                f"Population de démonstration créée en {elapsed:.1f} s : "
                f"{n['beneficiaries_beneficiary']} bénéficiaires, {n['events_event']} événements, "
                f"{n['enrolments_cep']} CEP, {n['offers_service']} services, "
                f"{n['audit_auditentry']} entrées d'historique, {len(world.structures)} structures."
            )
        )
        if options["verbosity"] > 1:
            t = load.last_timings
            self.stdout.write(
                f"Durées : lignes {t.get('rows', 0):.0f} s, index et clés étrangères {t.get('index', 0):.0f} s, "
                f"statistiques {t.get('analyze', 0):.0f} s."
            )
            self.stdout.write(
                f"Homonymes nés le même jour séparés (second prénom ajouté) : {load.last_homonyms} dossier(s)."
            )
