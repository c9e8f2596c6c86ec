"""The user guide (docs/guide-conseiller.md): one section per task, every screenshot it shows exists."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDE = DOCS / "guide-conseiller.md"

SECTIONS = [
    "Se connecter",
    "Rechercher un bénéficiaire",
    "Créer un dossier, le justifier et ajouter le CEP en une fois",
    "Justifier un dossier existant",
    "Proposer une offre de niveau 1 (phase 1)",
    "Ajouter le CEP (phases 2 et 3)",
    "Passer en phase 3 / annuler le passage",
    "Modifier le CEP",
    "Clôturer le CEP",
    "Plan d'action, plan de financement et documents remis",
    "Rouvrir le CEP",
    "Supprimer le CEP",
    "Événements",
    "Rendez-vous",
    "Orienter une personne vers une autre structure",
    "Sortie automatique : agir à temps",
    "Gérer la structure et les offres (responsable de structure)",
    "Indicateurs",
    "Fichiers mensuels (responsable de structure)",
    "Importer des dossiers existants (responsable de structure)",
    "Fichiers reçus (observateur national)",
    "Doubles accompagnements (observateur national)",
]


def test_guide_has_one_section_per_task():
    headings = re.findall(r"^## (.+)$", GUIDE.read_text(encoding="utf-8"), re.MULTILINE)
    assert headings == SECTIONS


def test_every_screenshot_of_the_guide_exists():
    images = re.findall(r"!\[[^\]]+\]\((screenshots/[^)]+)\)", GUIDE.read_text(encoding="utf-8"))
    assert len(images) >= 20
    missing = [image for image in images if not (DOCS / image).is_file()]
    assert not missing, missing
