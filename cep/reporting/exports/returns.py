"""The receiver's return file of a transmitted batch: a code per line (0000 = traitée, any other = rejetée)."""

import re

from django.db import connection, transaction
from django.utils import timezone

from cep.audit.services import record
from cep.common.errors import RuleViolation
from cep.common.keyset import parse_id

from .batches import _update, ensure_can_manage
from .contract import get_version
from .models import BatchStatus, ExportBatch

ACCEPTED = "0000"


def parse_return_file(content: bytes) -> list[tuple[int, str, str]]:
    """`ligne;code;message` lines (an optional header line). Every error is reported, nothing is applied."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation("RETOUR", "Le fichier retour doit être un fichier CSV encodé en UTF-8.", field="file")
    rows, errors, seen = [], [], set()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split(";", 2)]
        if number == 1 and not any(ch.isdigit() for ch in parts[0]):
            continue  # header
        if len(parts) < 2:
            errors.append(f"ligne {number} : le format attendu est « numéro de ligne;code;message »")
            continue
        line, code, message = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        cited = parse_id(line)  # ASCII digits within bigint only: « ² » or 5,000 digits are refused, not a 500
        if cited is None:
            errors.append(f"ligne {number} : « {line[:20]} » n'est pas un numéro de ligne")
        elif not re.fullmatch(r"[A-Za-z0-9]{4}", code):
            errors.append(
                f"ligne {number} : le code retour « {code} » doit comporter 4 caractères (lettres ou chiffres)"
            )
        elif cited in seen:
            errors.append(f"ligne {number} : la ligne {cited} est citée deux fois")
        else:
            seen.add(cited)
            rows.append((cited, code, message[:500]))
    if errors:
        more = f" (et {len(errors) - 5} autre(s))" if len(errors) > 5 else ""
        raise RuleViolation("RETOUR", "Fichier retour refusé : " + " ; ".join(errors[:5]) + more + ".", field="file")
    if not rows:
        raise RuleViolation("RETOUR", "Le fichier retour ne contient aucune ligne.", field="file")
    return rows


@transaction.atomic
def import_return_file(*, batch: ExportBatch, resource: str, content: bytes, actor) -> dict[str, int]:
    """Set each cited line's state (0000 = traitée, any other code = rejetée) and its return code and message."""
    ensure_can_manage(actor, batch)
    batch = ExportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (BatchStatus.TRANSMITTED, BatchStatus.ACKNOWLEDGED):
        raise RuleViolation("RETOUR", "Un fichier retour ne s'importe que pour un lot transmis.")
    version = get_version(batch.contract_version)
    if resource not in version.resources:
        raise RuleViolation("RETOUR", "Choisissez le fichier concerné par ce retour.", field="resource")
    rows = parse_return_file(content)
    numbers = set(batch.lines.filter(resource=resource).values_list("line_number", flat=True))
    unknown = sorted(n for n, _, _ in rows if n not in numbers)
    if unknown:
        shown = ", ".join(str(n) for n in unknown[:10])
        raise RuleViolation(
            "RETOUR",
            f"Fichier retour refusé : lignes inconnues dans le fichier « {resource} » : {shown}.",
            field="file",
        )
    _apply_return_codes(batch, resource, rows)
    if batch.status != BatchStatus.ACKNOWLEDGED:
        _update(batch, status=BatchStatus.ACKNOWLEDGED, acknowledged_at=timezone.now())
    accepted = sum(1 for _, code, _ in rows if code == ACCEPTED)
    record(
        actor=actor,
        action="import_export_return",
        obj=batch,
        before=None,
        after={"resource": resource, "processed": accepted, "rejected": len(rows) - accepted},
        structure_id=batch.structure_id,
    )
    return {"processed": accepted, "rejected": len(rows) - accepted}


RETURN_CHUNK = 5000


def _apply_return_codes(batch: ExportBatch, resource: str, rows) -> None:
    """One UPDATE … FROM (VALUES …) per chunk."""
    with connection.cursor() as cursor:
        for start in range(0, len(rows), RETURN_CHUNK):
            chunk = rows[start : start + RETURN_CHUNK]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            params = [v for row in chunk for v in row]
            cursor.execute(
                f"UPDATE reporting_exportline l SET return_code = v.code, return_message = v.message, "
                f"state = CASE WHEN v.code = %s THEN 'processed' ELSE 'rejected' END "
                f"FROM (VALUES {values}) AS v(line_number, code, message) "
                f"WHERE l.batch_id = %s AND l.resource = %s AND l.line_number = v.line_number",
                [ACCEPTED, *params, batch.pk, resource],
            )
