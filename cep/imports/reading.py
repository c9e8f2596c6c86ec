"""Reading an uploaded file, streamed: CSV (UTF-8 with or without BOM, or Windows-1252; comma or semicolon) or XLSX.

`open_table(file, name, encoding=None)` reads the file once to hash it (SHA-256) and, for a CSV, to find its
encoding (UTF-8 when every byte decodes, Windows-1252 otherwise; the user confirms or changes it) and its
delimiter (the one that splits the header into more columns). Then `Table.rows()` yields (line number, cells) for
each data row, never holding the file in memory: a CSV through the csv module over a text stream, an XLSX through
openpyxl in read-only mode. Empty rows are skipped (LibreOffice saves up to a million of them at the end of a
sheet). A problem that stops the reading (undecodable byte, broken quoting, not a spreadsheet) is a
RuleViolation("IMPORT") naming the line.
"""

import codecs
import csv
import datetime
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from cep.common.errors import RuleViolation

ENCODING_LABELS = {
    "utf-8-sig": "UTF-8 avec BOM",
    "utf-8": "UTF-8",
    "cp1252": "Windows-1252 (Excel sous Windows)",
}
ENCODING_CHOICES = [("utf-8", "UTF-8 (avec ou sans BOM)"), ("cp1252", "Windows-1252 (Excel sous Windows)")]
MAX_CELL = 10_000  # characters a cell may hold before the line is refused (the csv module's own limit is above)
MAX_COLUMNS = 200
_CHUNK = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"

csv.field_size_limit(1 << 20)


@dataclass
class Table:
    file: object  # binary, seekable
    name: str
    sha256: str
    size: int
    format: str  # csv, xlsx
    encoding: str = ""
    encoding_detected: bool = True
    delimiter: str = ""
    header: list[str] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells as text) of every non-empty data row, the header excepted."""
        rows = self._csv_rows() if self.format == "csv" else self._xlsx_rows()
        next(rows, None)  # the header, read by open_table
        for number, cells in rows:
            if any(c.strip() for c in cells):
                yield number, cells

    def _text(self):
        self.file.seek(0)
        return io.TextIOWrapper(self.file, encoding=self.encoding, newline="", errors="strict")

    def _csv_rows(self) -> Iterator[tuple[int, list[str]]]:
        text = self._text()
        reader = csv.reader(text, delimiter=self.delimiter or ",", strict=False)
        line = 1
        try:
            for cells in reader:
                yield line, cells
                line = reader.line_num + 1
        except csv.Error as exc:
            raise RuleViolation(
                "IMPORT", f"Ligne {line} : le fichier CSV est mal formé ({exc}) ; rien n'a été importé."
            ) from exc
        except UnicodeDecodeError as exc:
            raise RuleViolation(
                "IMPORT",
                f"Ligne {line} : un caractère ne se lit pas en {ENCODING_LABELS[self.encoding]} ; choisissez "
                "l'autre encodage.",
            ) from exc
        finally:
            text.detach()

    def _xlsx_rows(self) -> Iterator[tuple[int, list[str]]]:
        import openpyxl

        self.file.seek(0)
        try:
            book = openpyxl.load_workbook(self.file, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
            raise RuleViolation(
                "IMPORT", "Le fichier XLSX ne peut pas être lu (classeur abîmé ou protégé) ; rien n'a été importé."
            ) from exc
        try:
            sheet = book.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [xlsx_text(v) for v in values[:MAX_COLUMNS]]
        except RuleViolation:
            raise
        except Exception as exc:  # noqa: BLE001
            raise RuleViolation("IMPORT", "Le fichier XLSX est abîmé ; rien n'a été importé.") from exc
        finally:
            book.close()


def xlsx_text(value) -> str:
    """A spreadsheet cell as the text a CSV would hold: dates as jj/mm/aaaa, whole numbers without « .0 »."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def _scan(file) -> tuple[str, int, bool, bytes]:
    """SHA-256, size, whether every byte decodes as UTF-8, and the first bytes."""
    digest, size, head = hashlib.sha256(), 0, b""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    file.seek(0)
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if len(head) < 65536:
            head += chunk[: 65536 - len(head)]
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return digest.hexdigest(), size, utf8, head


def open_table(file, name: str, encoding: str | None = None) -> Table:
    """The file's fingerprint, format, encoding, delimiter and header; refuses what cannot be read."""
    sha256, size, utf8, head = _scan(file)
    if size == 0:
        raise RuleViolation("IMPORT", "Le fichier est vide.")
    if head.startswith(XLSX_MAGIC):
        try:
            file.seek(0)
            zipfile.ZipFile(file).getinfo("xl/workbook.xml")
        except (zipfile.BadZipFile, KeyError) as exc:
            raise RuleViolation(
                "IMPORT", "Ce fichier compressé n'est pas un classeur XLSX : enregistrez-le au format XLSX ou CSV."
            ) from exc
        table = Table(file, name, sha256, size, "xlsx")
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RuleViolation(
            "IMPORT", "Le format XLS (Excel 97-2003) n'est pas pris en charge : enregistrez le fichier en XLSX ou CSV."
        )
    else:
        table = Table(file, name, sha256, size, "csv")
        if encoding in (None, "", "auto"):
            table.encoding = ("utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8") if utf8 else "cp1252"
        else:
            table.encoding_detected = False
            if encoding not in ENCODING_LABELS:
                raise RuleViolation("IMPORT", f"Encodage inconnu « {encoding} ».")
            if encoding.startswith("utf-8"):
                if not utf8:
                    raise RuleViolation(
                        "IMPORT",
                        "Ce fichier n'est pas en UTF-8 (un caractère ne se lit pas) : choisissez Windows-1252.",
                    )
                encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
            table.encoding = encoding
        first = head.decode(table.encoding, errors="replace").lstrip("\ufeff").splitlines()[0:1]
        first = first[0] if first else ""
        table.delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(table._csv_rows() if table.format == "csv" else table._xlsx_rows(), None)
    if header is None or not any(c.strip() for c in header[1]):
        raise RuleViolation("IMPORT", "La première ligne du fichier doit porter le nom des colonnes.")
    cells = header[1]
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    if len(cells) > MAX_COLUMNS:
        raise RuleViolation("IMPORT", f"Le fichier a plus de {MAX_COLUMNS} colonnes.")
    # PostgreSQL refuses NUL in a text or a JSON value: it is shown as U+FFFD (the mapping keeps the header as read).
    table.header = [c.replace("\x00", "\ufffd").strip().lstrip("\ufeff") for c in cells]
    return table
