"""The monthly export on any database (the embedded SQLite of the demo): the same lines and bytes as exports.py.

exports.py computes each file in one PostgreSQL statement and streams it with COPY. Neither exists on SQLite, so
`insert_lines` and `stream_file` of exports.py come here when the database is not PostgreSQL. The semantics are
exactly those of `exports.lines_sql` (read its module docstring):

- candidates: the scope's objects of M, those whose row (or the person's, or the CEP's for a service) changed
  since the last transmitted batch (`since`), and the objects of lines the receiver rejected;
- current rows: the candidates that still qualify (CEP not deleted, reference date not after M…);
- previous line of each candidate: the one of the latest earlier transmitted batch (month, then id), rejected
  lines excluded;
- creation when never sent (and its reference date not before the scope's first transmitted month) or when the
  last sent line was a suppression; modification when the hash changed; suppression when the object no longer
  qualifies and its last sent line was not already a suppression (the line repeats the last sent content);
- line numbers in the order: creations, modifications, suppressions, then reference date (none last), then id.

Every field is formatted as FIELD_SQL formats it, and the file's bytes are those of `COPY … TO STDOUT` (text
format). Rows are read with `.iterator()` in chunks and written with `bulk_create` in batches: the current rows
are read once, in (reference date, id) order, so creations are numbered and written as they come; modifications
(in the same order) wait in a temporary file until the creations are counted. Only the previous lines' hashes
of the candidates are held in memory.
"""

import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Iterator

from django.db.models import F, Q

from cep.enrolments.models import Cep
from cep.enrolments.workflow import Status
from cep.offers.models import Service

from . import pseudonyms
from .contract import DELIMITER, ContractVersion, Resource
from .exports import ExportScope, header_line, query_params
from .models import ExportBatch, ExportLine, LineState, Movement

CHUNK = 2000
_ROME = re.compile(r"[A-N][0-9]{4}")


def _text(value) -> str:
    return "" if value is None else str(value)


def _date(value) -> str:  # to_char(d, 'YYYY-MM-DD')
    return "" if value is None else f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _year_month(value) -> str:  # to_char(d, 'YYYY-MM')
    return "" if value is None else f"{value.year:04d}-{value.month:02d}"


def _bool(value) -> str:  # CASE WHEN x THEN 'true' ELSE 'false' END (NULL gives 'false')
    return "true" if value else "false"


def _rome(value) -> str:  # only a well-formed ROME code leaves (the regex of FIELD_SQL, anchored at both ends)
    return value if value is not None and _ROME.fullmatch(value) else ""


def _pseudonym_of(prefix: str) -> Callable:
    def format(value) -> str:
        return "" if value is None else pseudonyms.pseudonym(f"{prefix}{value}")

    return format


# Each contract field as (alias, column, formatter), the aliases of FIELD_SQL: c = CEP, b = beneficiary,
# s = structure, sv = service. `b.person_key::text` is the canonical UUID text, as str(uuid) writes it.
FIELD_COLUMNS: dict[str, tuple[str, str, Callable]] = {
    "identifiant_cep": ("c", "id", _pseudonym_of("cep:")),
    "identifiant_service": ("sv", "id", _pseudonym_of("service:")),
    "identifiant_personne": ("b", "person_key", _pseudonym_of("")),
    "code_structure": ("c", "structure_id", _text),
    "code_operateur": ("s", "operator_id", _text),
    "code_reseau": ("s", "network_id", _text),
    "code_region_residence": ("b", "region_id", _text),
    "code_departement_residence": ("b", "department_id", _text),
    "annee_mois_naissance": ("b", "birth_date", _year_month),
    "sexe": ("b", "sex", _text),
    "situation_professionnelle": ("b", "employment_status_id", _text),
    "niveau_qualification": ("b", "qualification_level_id", _text),
    "rqth": ("b", "has_rqth", _bool),
    "date_premier_accueil": ("b", "first_reception_date", _date),
    "aiguilleur": ("c", "orientation_source_id", _text),
    "motif_sollicitation": ("c", "request_reason_id", _text),
    "phase_entree": ("c", "entry_phase", _text),
    "date_entretien_initialisation": ("c", "initial_interview_date", _date),
    "date_entree": ("c", "entry_date", _date),
    "date_entree_phase3": ("c", "phase3_entry_date", _date),
    "type_projet": ("c", "project_type_id", _text),
    "code_rome_vise": ("b", "target_rome_code", _rome),
    "acte_service": ("sv", "service_act_id", _text),
    "date_service": ("sv", "proposed_on", _date),
    "date_fin": ("c", "end_date", _date),
    "motif_sortie": ("c", "exit_reason_id", _text),
    "phase_sortie": ("c", "ended_in_phase", _text),
    "sortie_automatique": ("c", "auto_closed", _bool),
    "type_projet_sortie": ("c", "project_type_id", _text),
}
SERVICE_FIELD_COLUMNS = {"code_structure": ("sv", "structure_id", _text)}

# Per resource: the model, the ORM path of each alias (the joins of exports._CURRENT) and the reference date.
_SOURCES = {
    "entrees": (Cep, {"c": "", "b": "beneficiary__", "s": "structure__"}, "entry_date"),
    "services": (Service, {"sv": "", "c": "cep__", "b": "beneficiary__"}, "proposed_on"),
    "sorties": (Cep, {"c": "", "b": "beneficiary__"}, "end_date"),
}


def _rejected(name: str, params: dict):
    """The objects of lines the receiver rejected in the earlier transmitted batches (candidates again)."""
    return ExportLine.objects.filter(batch_id__in=params["previous"], resource=name, state=LineState.REJECTED).values(
        "object_id"
    )


def _candidates(name: str, params: dict) -> Q:
    """exports._CANDIDATES as a filter on the resource's model: its rows of M and those changed since."""
    in_scope = Q(structure_id__in=params["structures"])
    period, since = (params["start"], params["end"]), params["since"]
    if name == "entrees":
        changed = Q(entry_date__range=period) | Q(updated_at__gt=since) | Q(beneficiary__updated_at__gt=since)
    elif name == "services":
        changed = Q(cep__isnull=False, proposed_on__range=period) | Q(updated_at__gt=since)
        changed |= Q(cep__updated_at__gt=since)
    else:
        changed = Q(status=Status.CLOSED, end_date__range=period) | Q(updated_at__gt=since)
    return in_scope & changed


def _current(name: str, params: dict) -> Q:
    """The filter of exports._CURRENT (the scope is already in the candidates)."""
    if name == "entrees":
        return ~Q(status=Status.DELETED) & Q(entry_date__lte=params["end"])
    if name == "services":
        return Q(cep__isnull=False) & ~Q(cep__status=Status.DELETED) & Q(proposed_on__lte=params["end"])
    return Q(status=Status.CLOSED, end_date__lte=params["end"])


def _columns(resource: Resource) -> tuple[list[str], list[tuple[int, Callable]]]:
    """The ORM paths to read (object id and reference date first) and, per contract field, (path index, format)."""
    _, paths, ref_date = _SOURCES[resource.name]
    overrides = SERVICE_FIELD_COLUMNS if resource.name == "services" else {}
    columns, formats = ["pk", ref_date], []
    for name in resource.fields:
        alias, column, formatter = overrides.get(name, FIELD_COLUMNS[name])
        path = paths[alias] + column
        if path not in columns:
            columns.append(path)
        formats.append((columns.index(path), formatter))
    return columns, formats


def current_lines(resource: Resource, params: dict) -> Iterator[tuple[int, object, str, str]]:
    """(object id, reference date, payload, line hash) of each candidate object still in the file, in the order
    of the line numbers (reference date, none last, then id)."""
    model, _, ref_date = _SOURCES[resource.name]
    columns, formats = _columns(resource)
    candidates = _candidates(resource.name, params)
    if params["previous"]:
        candidates |= Q(pk__in=_rejected(resource.name, params))
    rows = (
        model.objects.filter(candidates)
        .filter(_current(resource.name, params))
        .order_by(F(ref_date).asc(nulls_last=True), "pk")
        .values_list(*columns)
    )
    for row in rows.iterator(chunk_size=CHUNK):
        payload = DELIMITER.join(formatter(row[i]) for i, formatter in formats)
        yield row[0], row[1], payload, hashlib.sha256(payload.encode("utf-8")).hexdigest()


def previous_lines(resource: Resource, params: dict) -> dict[int, tuple[str, str, int]]:
    """object id → (movement, line hash, line id) of its line in the latest earlier transmitted batch (month,
    then id), rejected lines excluded, for the candidate objects only."""
    if not params["previous"]:
        return {}
    model = _SOURCES[resource.name][0]
    # A rejected object is a candidate even if its row no longer exists (as in the SQL's UNION).
    candidates = Q(object_id__in=model.objects.filter(_candidates(resource.name, params)).values("pk"))
    candidates |= Q(object_id__in=_rejected(resource.name, params))
    lines = (
        ExportLine.objects.filter(candidates, batch_id__in=params["previous"], resource=resource.name)
        .exclude(state=LineState.REJECTED)
        .order_by("object_id", "-batch__month", "-batch_id")
        .values_list("object_id", "movement", "line_hash", "pk")
    )
    previous = {}
    for object_id, movement, line_hash, pk in lines.iterator(chunk_size=CHUNK):
        previous.setdefault(object_id, (movement, line_hash, pk))
    return previous


class _Writer:
    """Numbers the lines of one file in order and writes them with bulk_create, CHUNK at a time."""

    def __init__(self, batch: ExportBatch, resource: Resource):
        self.batch, self.resource = batch, resource
        self.pending: list[ExportLine] = []
        self.count = 0
        self.counts: dict[str, int] = {}

    def add(self, movement: str, object_id: int, line_hash: str, payload: str) -> None:
        self.count += 1
        self.counts[str(movement)] = self.counts.get(str(movement), 0) + 1
        self.pending.append(
            ExportLine(
                batch_id=self.batch.pk,
                resource=self.resource.name,
                line_number=self.count,
                movement=movement,
                object_type=self.resource.object_type,
                object_id=object_id,
                line_hash=line_hash,
                payload=payload,
                state=LineState.NEW,
                return_code="",
                return_message="",
            )
        )
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            ExportLine.objects.bulk_create(self.pending, batch_size=CHUNK)
            self.pending = []


def insert_file_lines(batch: ExportBatch, resource: Resource, params: dict) -> dict[str, int]:
    """Compute and record the lines of one file; returns the count per movement (movements present only)."""
    previous = previous_lines(resource, params)
    writer = _Writer(batch, resource)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as modifications:
        for object_id, ref_date, payload, line_hash in current_lines(resource, params):
            prev = previous.pop(object_id, None)
            if prev is None:
                if ref_date is not None and ref_date >= params["first"]:
                    writer.add(Movement.CREATION, object_id, line_hash, payload)
            elif prev[0] == Movement.DELETION:
                writer.add(Movement.CREATION, object_id, line_hash, payload)
            elif prev[1] != line_hash:
                modifications.write(json.dumps([object_id, line_hash, payload]) + "\n")
        modifications.seek(0)
        for text in modifications:
            object_id, line_hash, payload = json.loads(text)
            writer.add(Movement.MODIFICATION, object_id, line_hash, payload)
    # What is left of the previous lines: objects that no longer qualify (no reference date: ordered by id).
    gone = sorted((object_id, pk) for object_id, (mv, _, pk) in previous.items() if mv != Movement.DELETION)
    del previous
    for start in range(0, len(gone), CHUNK):
        chunk = gone[start : start + CHUNK]
        sent = {
            pk: (line_hash, payload)
            for pk, line_hash, payload in ExportLine.objects.filter(pk__in=[pk for _, pk in chunk]).values_list(
                "pk", "line_hash", "payload"
            )
        }
        for object_id, pk in chunk:
            writer.add(Movement.DELETION, object_id, *sent[pk])
    writer.flush()
    return writer.counts


def insert_lines(batch: ExportBatch, version: ContractVersion) -> dict[str, dict[str, int]]:
    """exports.insert_lines without PostgreSQL: the lines of every file of the batch, counts per movement."""
    scope = ExportScope.of(batch)
    return {
        resource.name: insert_file_lines(batch, resource, query_params(scope, batch.month, resource.name))
        for resource in version.resources.values()
    }


# COPY … TO STDOUT (text format) writes a backslash as \\ and these control characters as C-like escapes (the
# tab is also its column delimiter); other characters, control ones included, go out as they are.
_COPY_ESCAPES = str.maketrans(
    {"\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
)


def copy_text(value: str) -> str:
    """A text value as COPY's text format writes it."""
    return value.translate(_COPY_ESCAPES)


def stream_file(batch_id: int, resource: Resource):
    """exports.stream_file without PostgreSQL: the header, then the lines by number, the same bytes as COPY."""
    yield header_line(resource)
    lines = (
        ExportLine.objects.filter(batch_id=batch_id, resource=resource.name)
        .order_by("line_number")
        .values_list("line_number", "movement", "payload")
    )
    chunk = []
    for number, movement, payload in lines.iterator(chunk_size=CHUNK):
        chunk.append(copy_text(f"{number}{DELIMITER}{movement}{DELIMITER}{payload}") + "\n")
        if len(chunk) >= CHUNK:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    if chunk:
        yield "".join(chunk).encode("utf-8")
