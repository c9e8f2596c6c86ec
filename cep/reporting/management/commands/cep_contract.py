"""Regenerate the committed interface contract (schema.json and example file of each version and file)."""

from django.core.management.base import BaseCommand

from cep.reporting.exports.contract.schema import write_contract


class Command(BaseCommand):
    help = "Régénère les schémas (Table Schema) et les exemples du contrat d'interface à partir des référentiels."

    def handle(self, *args, **options):
        written = write_contract()
        for path in written:
            self.stdout.write(f"écrit : {path}")
        self.stdout.write(self.style.SUCCESS(f"Contrat d'interface à jour ({len(written)} fichier(s) modifié(s))."))
