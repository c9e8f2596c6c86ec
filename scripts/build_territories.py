"""Build cep/organisations/data/territories.json.gz from the INSEE COG published by Etalab.

Source: npm package @etalab/decoupage-administratif 6.0.0 (code MIT, data Licence Ouverte), read straight
from its tarball. Usage:  npm pack @etalab/decoupage-administratif@6.0.0 && python scripts/build_territories.py
"""

import gzip
import json
import sys
import tarfile
from pathlib import Path

TARBALL = Path(sys.argv[1] if len(sys.argv) > 1 else "etalab-decoupage-administratif-6.0.0.tgz")
OUT = Path(__file__).resolve().parent.parent / "cep" / "organisations" / "data" / "territories.json.gz"


def main():
    with tarfile.open(TARBALL) as tar:

        def read(name):
            return json.load(tar.extractfile(f"package/data/{name}.json"))

        regions = [[r["code"], r["nom"]] for r in read("regions") if r.get("zone") != "com"]
        region_codes = {r[0] for r in regions}
        departments = [[d["code"], d["nom"], d["region"]] for d in read("departements") if d["region"] in region_codes]
        dep_codes = {d[0] for d in departments}
        communes = [
            [c["code"], c["nom"], c["departement"], (c.get("codesPostaux") or [""])[0], c.get("population") or 0]
            for c in read("communes")
            if c.get("type") == "commune-actuelle" and c.get("departement") in dep_codes
        ]
    data = {
        "source": "@etalab/decoupage-administratif 6.0.0 (COG 2026)",
        "regions": regions,
        "departments": departments,
        "communes": communes,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT, "wb", mtime=0) as fh:
        fh.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    print(f"{len(regions)} régions, {len(departments)} départements, {len(communes)} communes -> {OUT}")


if __name__ == "__main__":
    main()
