import gzip
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "territories.json.gz"


def load(apps, schema_editor=None):
    """Load régions, départements and communes (INSEE COG 2026). Idempotent."""
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    Region = apps.get_model("organisations", "Region")
    Department = apps.get_model("organisations", "Department")
    Commune = apps.get_model("organisations", "Commune")
    Region.objects.bulk_create([Region(code=c, name=n) for c, n in data["regions"]], ignore_conflicts=True)
    Department.objects.bulk_create(
        [Department(code=c, name=n, region_id=r) for c, n, r in data["departments"]], ignore_conflicts=True
    )
    Commune.objects.bulk_create(
        [
            Commune(code=c, name=n, department_id=d, postal_code=p, population=pop)
            for c, n, d, p, pop in data["communes"]
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
