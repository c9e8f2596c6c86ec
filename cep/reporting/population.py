"""The month's population (docs/regles-cep.md §8), written once in SQL for the two rooms of reporting.

For a month M and a scope, the population is:

- the entries: the CEPs that count (a deleted CEP never counts) whose entry date is in M, in their structure;
- the services: the services proposed in M, in the structure that proposed them. A service proposed during a CEP
  that counts is a service of the CEP (levels 2 and 3); outside one, only a CEP level-1 service counts (level 1);
- the exits: the closed CEPs (« Clôturé ») whose end date is in M, in their structure.

The monthly file (exports/lines.py) sends the entries, the services of levels 2 and 3 and the exits of M as its
creation lines; the indicator refresh (indicators/refresh_sql.py) counts the same entries, services and exits per
structure (MonthlyCount, MonthlyStock, MonthlyDuration) and adds what the file does not carry (level-1 services,
moves to phase 3). tests/reporting/test_population.py checks that both agree, month by month and structure by
structure.

The definitions are SQL predicates over fixed aliases, c = enrolments_cep and sv = offers_service, with the month's
first and last days as the parameters %(start)s and %(end)s (`month_params`). The scope is `scope_sql`: some
structures (%(structures)s), or the nation (every row; the indicators group it by structure). CEP status codes are
written into SQL here only, from cep.enrolments.workflow.Status.
"""

import datetime
import re

from cep.common.months import month_bounds
from cep.enrolments.workflow import Status


def status_sql(status: Status) -> str:
    """A status code as an SQL literal (codes are plain lowercase words: nothing to escape)."""
    code = str(status.value)
    if not re.fullmatch(r"[a-z0-9_]+", code):
        raise ValueError(f"Code de statut inattendu : {code!r}")
    return f"'{code}'"


def month_params(month: datetime.date) -> dict[str, datetime.date]:
    """The bounds of the month of `month`, as the parameters of the predicates below."""
    start, end = month_bounds(month)
    return {"start": start, "end": end}


def scope_sql(alias: str, *, national: bool) -> str:
    """The scope filter of a row: none for the nation (every row has a structure: NOT NULL foreign key)."""
    return "TRUE" if national else f"{alias}.structure_id = ANY(%(structures)s)"


IN_MONTH = "BETWEEN %(start)s AND %(end)s"

# The CEP (c) counts: it is not deleted. A deleted CEP has no entry, no services and no exit.
CEP_COUNTS = f"c.status <> {status_sql(Status.DELETED)}"
# The CEP (c) has ended: closed, with its end date and exit reason (a reopened CEP is open again, without them).
CEP_CLOSED = f"c.status = {status_sql(Status.CLOSED)}"

# Entries of M: the CEP (c) entered in M and counts.
ENTERED = f"{CEP_COUNTS} AND c.entry_date {IN_MONTH}"
# Exits of M: the CEP (c) ended in M.
EXITED = f"{CEP_CLOSED} AND c.end_date {IN_MONTH}"

# Services of M: the service (sv) was proposed in M…
SERVICE_OF_MONTH = f"sv.proposed_on {IN_MONTH}"
# … during a CEP, as recorded on the service…
SERVICE_IN_A_CEP = "sv.cep_id IS NOT NULL"
# … and that CEP (c) counts: join condition of the service's CEP. A service whose CEP does not count is of level 1
# when it is a CEP level-1 service (SERVICE_LEVEL1), and of no level otherwise.
SERVICE_CEP = f"c.id = sv.cep_id AND {CEP_COUNTS}"
SERVICE_LEVEL1 = "sv.is_cep_level1"
