"""The indicator refresh on any database (the embedded SQLite of the demo): the same rows as indicators_refresh.py.

indicators_refresh.py rebuilds a month with set-based PostgreSQL statements (GROUPING SETS, LATERAL,
generate_series, temporary tables, advisory lock). None of that exists on SQLite, so when the database is not
PostgreSQL the same steps come here: the month's CEPs, services and dossiers are read through the ORM (only the
columns needed), counted with Counter, and written with bulk_create. Each function below names the statement it
mirrors; every detail of the SQL is kept (COALESCE to 'non_renseigne', a NULL breakdown value counted under
'total', PostgreSQL's age() in full years, level-1 people once per structure with their first service date, the
offers' empty strings), so that both paths store exactly the same rows (tests/reporting/test_indicators_portable.py).

One refresh at a time: SQLite has no advisory lock; the RefreshState row is claimed by a conditional UPDATE
instead (SQLite serialises writers), and a claim older than STALE_AFTER is taken as left by a dead process.
"""

import datetime
from collections import Counter, defaultdict

from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from cep.common.dates import add_months
from cep.enrolments.models import Cep
from cep.offers.models import Service, ServiceOffer
from cep.organisations.models import Structure

from .indicator_models import (
    CepLedger,
    Family,
    MonthlyCount,
    MonthlyDuration,
    MonthlyOffers,
    MonthlyStock,
    RefreshState,
)
from .indicators import duration_bucket
from .indicators_refresh import RefreshBusy, month_end, month_start

STALE_AFTER = datetime.timedelta(minutes=10)
NOT_FILLED = "non_renseigne"
BATCH = 2000


def _location(structure_ids) -> dict[int, tuple]:
    """structure id → (operator, network, région, département), like the JOIN on organisations_structure."""
    return {
        pk: rest
        for pk, *rest in Structure.objects.filter(pk__in=set(structure_ids)).values_list(
            "pk", "operator_id", "network_id", "region_id", "department_id"
        )
    }


def _age_band(on: datetime.date, birth: datetime.date | None) -> str:
    """date_part('year', age(on, birth)) in bands; a NULL age falls into the last band, as the CASE does."""
    if birth is None:
        return "56_plus"
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    if years < 26:
        return "moins_26"
    for limit, code in ((35, "26_35"), (45, "36_45"), (55, "46_55")):
        if years <= limit:
            return code
    return "56_plus"


def _coalesce(value, default):
    return default if value is None else value


# ------------------------------------------------------------------ one month


def _month_ceps(s, e) -> list[tuple]:
    """_MONTH_CEPS: the live CEPs entered, moved to phase 3 or ended in the month, with their person."""
    in_month = Q(entry_date__range=(s, e)) | Q(phase3_entry_date__range=(s, e)) | Q(end_date__range=(s, e))
    return list(
        Cep.objects.exclude(status="deleted")
        .filter(in_month)
        .values_list(
            "structure_id",
            "entry_date",
            "entry_phase",
            "phase2_entry_date",
            "phase2_end_date",
            "phase3_entry_date",
            "end_date",
            "ended_in_phase",
            "exit_reason_id",
            "request_reason_id",
            "project_type_id",
            "beneficiary__sex",
            "beneficiary__birth_date",
            "beneficiary__employment_status_id",
            "beneficiary__qualification_level_id",
            "beneficiary__has_rqth",
        )  # fmt: skip
    )


def _people(ceps, s, e) -> list[tuple]:
    """_PEOPLE: (structure, level, sex, birth, employment, qualification, rqth, on date, reason, project)."""
    level1 = (
        Service.objects.filter(is_cep_level1=True, proposed_on__range=(s, e))
        .values(
            "structure_id",
            "beneficiary_id",
            "beneficiary__sex",
            "beneficiary__birth_date",
            "beneficiary__employment_status_id",
            "beneficiary__qualification_level_id",
            "beneficiary__has_rqth",
        )  # fmt: skip
        .annotate(first_on=Min("proposed_on"))
        .order_by()
    )
    people = [
        (
            r["structure_id"],
            1,
            r["beneficiary__sex"],
            r["beneficiary__birth_date"],
            r["beneficiary__employment_status_id"],
            r["beneficiary__qualification_level_id"],
            r["beneficiary__has_rqth"],
            r["first_on"],
            None,
            None,
        )  # fmt: skip
        for r in level1
    ]
    for st, entry, phase, _, _, _, _, _, _, reason, project, sex, birth, emp, qual, rqth in ceps:
        if s <= entry <= e:
            people.append((st, phase, sex, birth, emp, qual, rqth, entry, reason, _coalesce(project, NOT_FILLED)))
    return people


def _count_public(counts: Counter, people) -> None:
    """_PUBLIC: one count per grouping set; a NULL value of the breakdown is stored as 'total' (COALESCE), and
    the 'total' of the motifs and project types is left out (the final WHERE)."""
    for st, level, sex, birth, emp, qual, rqth, on, reason, project in people:
        breakdown = (
            (Family.ENTRIES, None),
            (Family.AGE_BAND, _age_band(on, birth)),
            (Family.SEX, sex),
            (Family.EMPLOYMENT_STATUS, _coalesce(emp, NOT_FILLED)),
            (Family.QUALIFICATION_LEVEL, _coalesce(qual, NOT_FILLED)),
            (Family.RQTH, "oui" if rqth else "non"),
            (Family.REQUEST_REASON, reason),
            (Family.PROJECT_TYPE, project),
        )
        for family, code in breakdown:
            code = _coalesce(code, "total")
            if code == "total" and family in (Family.REQUEST_REASON, Family.PROJECT_TYPE):
                continue
            counts[(st, family.value, level, code)] += 1


def _count_moves_and_exits(counts: Counter, ceps, s, e) -> None:
    """_MOVES_AND_EXITS: moves from phase 2 to phase 3, exits by reason (none without a reason)."""
    for st, _, _, p2_entry, _, p3_entry, end, ended_in, reason, *_ in ceps:
        if p2_entry is not None and p3_entry is not None and s <= p3_entry <= e:
            counts[(st, Family.PHASE3_MOVES.value, 3, "total")] += 1
        if end is not None and s <= end <= e and reason is not None:
            counts[(st, Family.EXITS.value, ended_in, reason)] += 1


def _count_services(counts: Counter, s, e) -> None:
    """_SERVICES: level 1 outside a live CEP (level-1 services only), else the CEP's phase on that day."""
    rows = Service.objects.filter(proposed_on__range=(s, e)).values_list(
        "structure_id", "service_act_id", "is_cep_level1", "proposed_on", "cep_id", "cep__status",
        "cep__phase3_entry_date",
    )  # fmt: skip
    for st, act, is_level1, on, cep_id, cep_status, p3_entry in rows.iterator(chunk_size=BATCH):
        live = cep_id is not None and cep_status != "deleted"
        if not live and not is_level1:
            continue
        level = 1 if not live else (3 if p3_entry is not None and on >= p3_entry else 2)
        counts[(st, Family.SERVICES.value, level, act)] += 1


def _durations(ceps, s, e) -> Counter:
    """_DURATIONS: (structure, phase, bucket) → CEPs ended in the month; phase 0 is the whole CEP."""
    durations = Counter()
    for st, entry, _, p2_entry, p2_end, p3_entry, end, ended_in, *_ in ceps:
        if end is None or not s <= end <= e:
            continue
        days = [(0, (end - entry).days)]
        if p2_entry is not None:
            days.append((2, (_coalesce(p2_end, end) - p2_entry).days))
        if ended_in == 3 and p3_entry is not None:
            days.append((3, (end - p3_entry).days))
        for phase, d in days:
            durations[(st, phase, duration_bucket(d))] += 1
    return durations


def _stock_flows(ceps, s, e) -> dict[int, list[int]]:
    """_STOCK_FLOWS: per structure with a CEP in the month, [entries p2, entries p3, moves p3, exits p2, exits p3]."""
    flows: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for st, entry, phase, p2_entry, _, p3_entry, end, ended_in, *_ in ceps:
        row = flows[st]
        if s <= entry <= e and phase in (2, 3):
            row[phase - 2] += 1
        if p2_entry is not None and p3_entry is not None and s <= p3_entry <= e:
            row[2] += 1
        if end is not None and s <= end <= e and ended_in in (2, 3):
            row[3 if ended_in == 2 else 4] += 1
    return flows


def refresh_month(month: datetime.date) -> None:
    """indicators_refresh.refresh_month without PostgreSQL: the month's rows replaced, in one transaction."""
    s = month_start(month)
    e = month_end(s)
    with transaction.atomic():
        for model in (MonthlyCount, MonthlyDuration, MonthlyStock):
            model.objects.filter(month=s).delete()
        ceps = _month_ceps(s, e)
        counts = Counter()
        _count_public(counts, _people(ceps, s, e))
        _count_moves_and_exits(counts, ceps, s, e)
        _count_services(counts, s, e)
        durations = _durations(ceps, s, e)
        flows = _stock_flows(ceps, s, e)
        loc = _location([k[0] for k in counts] + [k[0] for k in durations] + list(flows))

        def located(st):
            op, net, reg, dep = loc[st]
            return {"month": s, "structure_id": st, "operator_id": op, "network_id": net, "region_id": reg,
                    "department_id": dep}  # fmt: skip

        MonthlyCount.objects.bulk_create(
            [
                MonthlyCount(**located(st), family=family, level=level, code=code, value=n)
                for (st, family, level, code), n in counts.items()
                if st in loc
            ],
            batch_size=BATCH,
        )
        MonthlyDuration.objects.bulk_create(
            [
                MonthlyDuration(**located(st), phase=phase, bucket=bucket, value=n)
                for (st, phase, bucket), n in durations.items()
                if st in loc
            ],
            batch_size=BATCH,
        )
        MonthlyStock.objects.bulk_create(
            [
                MonthlyStock(
                    **located(st),
                    entries_phase2=f[0],
                    entries_phase3=f[1],
                    moves_phase3=f[2],
                    exits_phase2=f[3],
                    exits_phase3=f[4],
                    in_progress_phase2=0,
                    in_progress_phase3=0,
                )  # fmt: skip
                for st, f in flows.items()
                if st in loc
            ],
            batch_size=BATCH,
        )


# ------------------------------------------------------------------ after the months: stocks, offers, ledger


def _months(first: datetime.date, last: datetime.date):
    month = first
    while month <= last:
        yield month
        month = add_months(month, 1)


def _stock_fill(current: datetime.date) -> datetime.date | None:
    """_STOCK_FILL: a zero row for every month up to `current` of every structure with a stock row; returns the
    first month filled."""
    firsts = dict(MonthlyStock.objects.values_list("structure_id").annotate(first=Min("month")).order_by())
    existing = set(MonthlyStock.objects.values_list("structure_id", "month"))
    loc = _location(firsts)
    rows = []
    for st, first in firsts.items():
        if st not in loc:
            continue
        op, net, reg, dep = loc[st]
        for month in _months(first, current):
            if (st, month) not in existing:
                rows.append(
                    MonthlyStock(
                        month=month,
                        structure_id=st,
                        operator_id=op,
                        network_id=net,
                        region_id=reg,
                        department_id=dep,
                    )  # fmt: skip
                )
    MonthlyStock.objects.bulk_create(rows, batch_size=BATCH)
    return min((row.month for row in rows), default=None)


def _stock_cumulate(since: datetime.date) -> None:
    """_STOCK_CUMULATE: in progress = cumulated flows of the structure up to the month, from `since` on."""
    changed = []
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows = MonthlyStock.objects.order_by("structure_id", "month").only(
        "id", "structure_id", "month", "entries_phase2", "entries_phase3", "moves_phase3", "exits_phase2",
        "exits_phase3", "in_progress_phase2", "in_progress_phase3",
    )  # fmt: skip
    for row in rows.iterator(chunk_size=BATCH):
        total = totals[row.structure_id]
        total[0] += row.entries_phase2 - row.moves_phase3 - row.exits_phase2
        total[1] += row.entries_phase3 + row.moves_phase3 - row.exits_phase3
        if row.month >= since and (row.in_progress_phase2, row.in_progress_phase3) != tuple(total):
            row.in_progress_phase2, row.in_progress_phase3 = total
            changed.append(row)
    MonthlyStock.objects.bulk_update(changed, ["in_progress_phase2", "in_progress_phase3"], batch_size=BATCH)


def _offers(current: datetime.date) -> None:
    """_OFFERS: the CEP offers active in each month up to `current`, located by their structure (or region)."""
    MonthlyOffers.objects.all().delete()
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    rows = ServiceOffer.objects.filter(national_measure="cep").values_list(
        "structure_id", "structure__operator_id", "structure__network_id", "structure__region_id",
        "structure__department_id", "region_id", "start_date", "end_date",
    )  # fmt: skip
    for st, op, net, st_region, dep, region, start, end in rows:
        first = month_start(start)
        last = min(month_start(_coalesce(end, current)), current)
        key = (st, op, _coalesce(net, ""), _coalesce(st_region, region), _coalesce(dep, ""))
        for month in _months(first, last):
            row = counts[(month, *key)]
            row[0] += 1
            row[1] += month == first
    MonthlyOffers.objects.bulk_create(
        [
            MonthlyOffers(
                month=month,
                structure_id=st,
                operator_id=op,
                network_id=net,
                region_id=reg,
                department_id=dep,
                active=active,
                new=new,
            )  # fmt: skip
            for (month, st, op, net, reg, dep), (active, new) in counts.items()
        ],
        batch_size=BATCH,
    )


def finish(since: datetime.date | None, current: datetime.date) -> None:
    """indicators_refresh._finish without PostgreSQL."""
    filled = _stock_fill(current)
    since = min(filter(None, [since, filled]), default=None)
    if since is not None:
        _stock_cumulate(since)
    _offers(current)


def upsert_ledger(since: datetime.datetime | None) -> None:
    """_LEDGER_UPSERT: what every CEP (changed since `since`, or all) contributes to, kept for the next refresh."""
    ceps = Cep.objects.all() if since is None else Cep.objects.filter(updated_at__gt=since)
    rows = ceps.values_list("id", "entry_date", "phase3_entry_date", "end_date", "status").order_by()
    batch = []
    for pk, entry, p3_entry, end, status in rows.iterator(chunk_size=BATCH):
        batch.append(
            CepLedger(
                cep_id=pk,
                entry_month=month_start(entry),
                phase3_month=p3_entry and month_start(p3_entry),
                end_month=end and month_start(end),
                counted=status != "deleted",
            )
        )
        if len(batch) == BATCH:
            _write_ledger(batch)
            batch = []
    _write_ledger(batch)


def _write_ledger(batch) -> None:
    CepLedger.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=["cep_id"],
        update_fields=["entry_month", "phase3_month", "end_month", "counted"],
    )


def clear() -> None:
    """The full rebuild's TRUNCATE."""
    for model in (MonthlyCount, MonthlyDuration, MonthlyStock, CepLedger):
        model.objects.all().delete()


# ------------------------------------------------------------------ months to recompute


def touched_months(since: datetime.datetime) -> list[datetime.date]:
    """_TOUCHED: the months of the rows changed since the watermark, and the months changed CEPs counted in."""
    changed = Cep.objects.filter(updated_at__gt=since)
    days = set()
    for row in changed.values_list("entry_date", "phase3_entry_date", "end_date").distinct():
        days.update(row)
    ledger = CepLedger.objects.filter(cep_id__in=changed.values("id"))
    for row in ledger.values_list("entry_month", "phase3_month", "end_month").distinct():
        days.update(row)
    changed_person = Q(beneficiary__updated_at__gt=since)
    for query in (
        Service.objects.filter(cep__updated_at__gt=since).values_list("proposed_on"),
        Service.objects.filter(updated_at__gt=since).values_list("proposed_on"),
        Cep.objects.filter(changed_person).values_list("entry_date"),
        Service.objects.filter(changed_person, is_cep_level1=True).values_list("proposed_on"),
    ):
        days.update(day for (day,) in query.distinct().order_by())
    return sorted({month_start(day) for day in days if day is not None})


def first_day() -> datetime.date | None:
    """The first CEP entry or CEP service (all_months)."""
    first_cep = Cep.objects.aggregate(m=Min("entry_date"))["m"]
    first_service = Service.objects.filter(Q(is_cep_level1=True) | Q(cep__isnull=False)).aggregate(
        m=Min("proposed_on")
    )["m"]
    return min(filter(None, [first_cep, first_service]), default=None)


# ------------------------------------------------------------------ one refresh at a time, watermark


def _busy() -> Q:
    return Q(state=RefreshState.State.RUNNING, started_at__gt=timezone.now() - STALE_AFTER)


def claim() -> None:
    """Take the refresh (RefreshBusy if another one runs): one conditional UPDATE, atomic since writers are
    serialised."""
    RefreshState.objects.get_or_create(pk=1)
    claimed = (
        RefreshState.objects.filter(pk=1)
        .exclude(_busy())
        .update(state=RefreshState.State.RUNNING, started_at=timezone.now())
    )
    if not claimed:
        raise RefreshBusy("Une actualisation des indicateurs est déjà en cours.")


def is_free() -> bool:
    """No refresh is running (a « running » state older than STALE_AFTER was left by a process that died)."""
    return not RefreshState.objects.filter(pk=1).filter(_busy()).exists()


def watermark() -> datetime.datetime:
    """The new watermark: now, taken once every write in progress has committed.

    A write transaction waits for the one in progress (SQLite has one writer at a time), so every row saved
    by a transaction that had begun is visible to this refresh. A single statement outside a transaction can
    still have stamped its ``updated_at`` before waiting for the lock, at most the busy timeout before: the
    watermark goes back that much (the next refresh may recompute a month again, never miss one)."""
    margin = datetime.timedelta(seconds=connection.settings_dict.get("OPTIONS", {}).get("timeout", 5) + 1)
    with transaction.atomic():
        RefreshState.objects.filter(pk=1).update(state=RefreshState.State.RUNNING)  # takes the write lock
        return timezone.now() - margin
