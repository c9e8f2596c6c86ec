"""Write the XLSX demo files of docs/import/ from their CSV twins: the lines the CSV creates, nothing refused.

    uv run python scripts/import_examples.py

Each CSV example of docs/import.md shows every outcome (creations, a duplicate, refusals); its XLSX twin keeps the
header and the lines that the CSV creates (EXAMPLES), as text cells (dates as « jj/mm/aaaa », as typed in a
spreadsheet), on one sheet named after the kind of file. Imported in the documented order (bénéficiaires,
dispositifs CEP, événements, services), each XLSX is accepted whole: tests/imports/test_demo_files.py checks both
that and that the XLSX still holds those lines of the CSV.
"""

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "docs" / "import"

# CSV example -> (kind of file, its label: the sheet's name, the CSV's lines that it creates: docs/import.md).
EXAMPLES = {
    "beneficiaires-exemple": ("beneficiaries", "Bénéficiaires", (2, 3, 4, 5)),
    "dispositifs-cep-exemple": ("ceps", "Dispositifs CEP", (2, 3, 4, 5)),
    "evenements-exemple": ("events", "Événements", (2, 3, 4, 5, 6)),
    "services-exemple": ("services", "Services", (2, 3, 4)),
}


def csv_rows(name: str) -> list[list[str]]:
    """The CSV's header and the lines it creates (numbered as the spreadsheet does: the header is line 1)."""
    kept = EXAMPLES[name][2]
    with open(FOLDER / f"{name}.csv", encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    return [rows[0]] + [rows[number - 1] for number in kept]


def write(name: str) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = EXAMPLES[name][1]
    for row in csv_rows(name):
        sheet.append(row)  # every cell a text: what the CSV holds
    path = FOLDER / f"{name}.xlsx"
    book.save(path)
    return path


def main() -> None:
    for name in EXAMPLES:
        print(write(name).relative_to(ROOT), file=sys.stderr)


if __name__ == "__main__":
    main()
