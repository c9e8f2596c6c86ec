"""The demonstration commands refuse to run outside the dev, demo and test settings (DEMO_DATA_ALLOWED)."""

from django.conf import settings
from django.core.management.base import CommandError


def ensure_demo_allowed() -> None:
    if not getattr(settings, "DEMO_DATA_ALLOWED", False):
        raise CommandError(
            "Commande de démonstration refusée avec ces réglages (production) : elle crée des comptes au mot de "
            "passe connu, des jetons d'API publiés et des personnes inventées. Utilisez-la avec "
            "config.settings.demo ou config.settings.dev."
        )
