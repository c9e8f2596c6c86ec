"""Render the three documents with sample data (no database) and keep a PNG of each page in docs/screenshots/.

    uv run python scripts/document_samples.py        # needs pdftoppm (Debian: poppler-utils)

The same sample data serves the benchmark (bench/bench_documents.py).
"""

import datetime
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cep.plans.documents.render import render  # noqa: E402

ON = datetime.date(2026, 12, 7)
NNBSP, NBSP = "\u202f", "\xa0"
BASE = {
    "structure": "Mission locale de Paris",
    "person": "Camille MARTIN",
    "counselor": "Élise Besnard",
    "date": "07/12/2026",
}


def synthesis(steps: int = 3) -> dict:
    names = ["Découvrir le métier", "Financer la formation", "Entrer en formation"]
    return {
        **BASE,
        "title": "Document de synthèse – Conseil en évolution professionnelle",
        "short_title": "Document de synthèse",
        "cep_line": "Entrée dans le CEP le 02/09/2026, sortie le 07/12/2026 (Plan d'action réalisé).",
        "parts": ["formalisation", "plan"],
        "services": [
            ["15/09/2026", "Atelier découverte des métiers (Info. Conseil sur les formations)"],
            ["20/10/2026", "Immersion en entreprise (Période de mise en situation en milieu professionnel (PMSMP))"],
        ],
        "events": [
            ["02/09/2026", "Entretien individuel", "CEP"],
            ["15/09/2026", "Atelier collectif", "CEP, Projet professionnel"],
            ["20/10/2026", "Téléphone", "CEP, Formation"],
        ],
        "project_type": "Reconversion",
        "project": "Devenir menuisière agenceuse après dix ans dans la vente.",
        "strategies": "Immersion de deux semaines, puis formation certifiante financée par le CPF et Transitions Pro.",
        "person_steps": "Trois enquêtes métier auprès d'artisans ; visite de l'AFPA.",
        "support_needed": "Aide à la constitution du dossier de Transitions Pro.",
        "steps": [
            {
                "title": names[i] if i < len(names) else f"Étape complémentaire {i + 1}",
                "objective": "Trois enquêtes métier" if i == 0 else "",
                "dates": "Du 02/09/2026 au 30/09/2026.",
                "actions": [
                    ["Rencontrer un artisan", "La personne", "15/09/2026", "Réalisée"],
                    ["Dossier de financement", "Le conseiller", "15/11/2026", "En cours"],
                ],
            }
            for i in range(steps)
        ],
        "trainings": [
            [
                "AFPA Rungis",
                "Menuisier agenceur",
                "Du 04/01/2027 au 30/06/2027.",
                "RNCP35185",
                "22454 Menuiserie agencement",
                "Certifié Qualiopi",
            ]
        ],
        "complementary": [
            ["Période de mise en situation en milieu professionnel (PMSMP)", "20/10/2026", "Atelier Bois & Co"]
        ],
        "calendar": [
            ["15/09/2026", "Rencontrer un artisan (La personne)"],
            ["20/10/2026", "Immersion PMSMP"],
            ["04/01/2027", "Début de la formation : Menuisier agenceur"],
        ],
        "lines": [
            ["Compte personnel de formation (CPF)", f"2{NNBSP}500,00{NBSP}€", "Accordé", ""],
            ["Transitions Pro", f"3{NNBSP}000,00{NBSP}€", "Sollicité", "Commission de janvier"],
            ["La personne", f"500,00{NBSP}€", "Envisagé", ""],
        ],
        "totals": {
            "total_cost": f"6{NNBSP}000,00{NBSP}€",
            "granted": f"2{NNBSP}500,00{NBSP}€",
            "expected": f"5{NNBSP}500,00{NBSP}€",
            "reste_a_charge": f"3{NNBSP}500,00{NBSP}€",
        },
    }


def level1() -> dict:
    return {
        **BASE,
        "title": "Document de niveau 1 – Conseil en évolution professionnelle",
        "short_title": "Document de niveau 1",
        "demand": "Changer de métier après dix ans dans la vente.",
        "need": "Connaître les métiers du bois et les formations qui y mènent.",
        "information": "Les métiers du bois, le compte personnel de formation, le conseil personnalisé.",
        "decision": "Poursuivre en conseil personnalisé (phase 2).",
        "orientation": "",
        "service_line": "Offre CEP (Info. Conseil sur les formations), proposé le 02/09/2026.",
    }


def step_back() -> dict:
    return {
        **BASE,
        "title": "Prise de recul – Conseil en évolution professionnelle",
        "short_title": "Prise de recul",
        "interview_date": "07/12/2026",
        "demand": "Faire le point sur ma situation.",
        "discussed": "Vos envies, vos compétences transférables, les pistes de mobilité interne.",
        "next_steps": "Revenir vers le conseiller si le projet se précise.",
    }


SAMPLES = {"synthese": synthesis, "niveau1": level1, "prise_de_recul": step_back}


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    for kind, build in SAMPLES.items():
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(render(kind, build(), on=ON))
            handle.flush()
            subprocess.run(["pdftoppm", "-png", "-r", "80", handle.name, str(out / f"document-{kind}")], check=True)
    print(f"Pages écrites dans {out}")


if __name__ == "__main__":
    main()
