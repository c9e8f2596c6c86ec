"""Reading the indicators: scopes, the 2014 / 2019 frameworks as views, tables ready to show or download.

Who sees what (DOMAIN.md §1): a structure manager their structure; a regional observer (Transitions Pro)
their region beside the nation; the national observer (France compétences) everything, filtered by région
or by network (not both); an administrator everything. Counselors do not see the indicators. Observers read
one calendar year at a time and get every table through small-cell suppression, downloads included: one
protection per year over all their possible views (cep/reporting/observer_secret.py).

Frameworks [004] l.25: 2014 has three levels (accueil; conseil personnalisé; accompagnement à la mise en
œuvre), 2019 two (accueil individualisé; accompagnement personnalisé = phases 2 and 3 together). Both are
sums over the same stored levels (1, 2, 3), so their totals agree by construction.
"""

import datetime
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Q, Sum

from cep.accounts.rights import Right, Role
from cep.common import plain_sql
from cep.common.errors import RuleViolation
from cep.common.months import last_complete_month, month_label, month_short, month_start, months_between

from . import observer_secret, suppression
from .indicator_models import Family, MonthlyCount, MonthlyDuration, MonthlyOffers, MonthlyStock, RefreshState

MAX_MONTHS = 36


@dataclass(frozen=True)
class Level:
    code: str
    label: str
    levels: tuple[int, ...]  # stored levels: 1 = niveau 1, 2 = phase 2, 3 = phase 3


@dataclass(frozen=True)
class Framework:
    code: str
    label: str
    levels: tuple[Level, ...]

    @property
    def cep_levels(self) -> tuple[Level, ...]:
        return tuple(level for level in self.levels if 1 not in level.levels)


FRAMEWORKS = {
    "2019": Framework(
        "2019",
        "Cahier des charges 2019 (deux niveaux)",
        (
            Level("accueil", "Accueil individualisé et adapté au besoin de la personne", (1,)),
            Level("accompagnement", "Accompagnement personnalisé", (2, 3)),
        ),
    ),
    "2014": Framework(
        "2014",
        "Cahier des charges 2014 (trois niveaux)",
        (
            Level("accueil", "Accueil individualisé", (1,)),
            Level("conseil", "Conseil personnalisé", (2,)),
            Level("mise_en_oeuvre", "Accompagnement à la mise en œuvre du projet professionnel", (3,)),
        ),
    ),
}

AGE_BANDS = [
    ("moins_26", "Moins de 26 ans"),
    ("26_35", "26 à 35 ans"),
    ("36_45", "36 à 45 ans"),
    ("46_55", "46 à 55 ans"),
    ("56_plus", "56 ans et plus"),
]
NOT_FILLED = ("non_renseigne", "Non renseigné")
STATIC_LABELS = {
    Family.AGE_BAND: AGE_BANDS,
    Family.SEX: [("F", "Femme"), ("M", "Homme")],
    Family.RQTH: [("oui", "Bénéficiaire de la RQTH"), ("non", "Sans RQTH")],
}
REFERENTIAL_OF = {
    Family.EMPLOYMENT_STATUS: "EmploymentStatus",
    Family.QUALIFICATION_LEVEL: "QualificationLevel",
    Family.REQUEST_REASON: "RequestReason",
    Family.PROJECT_TYPE: "ProjectType",
    Family.SERVICES: "ServiceAct",
    Family.EXITS: "ExitReason",
}

# (family, key, title, row header, CEP levels only)
CATEGORY_TABLES = [
    (Family.AGE_BAND, "age", "Public reçu par tranche d'âge", "Tranche d'âge", False),
    (Family.SEX, "sexe", "Public reçu par sexe", "Sexe", False),
    (Family.EMPLOYMENT_STATUS, "situation", "Public reçu par situation professionnelle", "Situation", False),
    (Family.QUALIFICATION_LEVEL, "qualification", "Public reçu par niveau de qualification", "Niveau", False),
    (Family.RQTH, "rqth", "Public reçu : reconnaissance de la qualité de travailleur handicapé", "RQTH", False),
    (Family.REQUEST_REASON, "motifs", "Motifs de sollicitation", "Motif de sollicitation", True),
    (Family.PROJECT_TYPE, "projets", "Types de projet", "Type de projet", True),
    (Family.SERVICES, "services", "Services proposés par acte de service", "Acte de service", False),
    (Family.EXITS, "sorties", "Sorties par motif", "Motif de sortie", True),
]


# ---------------------------------------------------------------- scopes


@dataclass(frozen=True)
class Scope:
    label: str
    structure_id: int | None = None
    region_id: str | None = None
    network_id: str | None = None

    @property
    def key(self) -> str:
        return f"s{self.structure_id or ''}r{self.region_id or ''}n{self.network_id or ''}"

    def q(self) -> Q:
        q = Q()
        if self.structure_id is not None:
            q &= Q(structure_id=self.structure_id)
        if self.region_id is not None:
            q &= Q(region_id=self.region_id)
        if self.network_id is not None:
            q &= Q(network_id=self.network_id)
        return q


@dataclass(frozen=True)
class Audience:
    """The scopes a user reads: one, or a region beside the nation (linked, for suppression)."""

    scopes: tuple[Scope, ...]
    suppress: bool
    can_filter: bool  # national observer / admin: filters by région and network
    can_refresh: bool

    @property
    def linked(self) -> bool:
        return len(self.scopes) == 2


NATION = "France entière"


def audience_for(user, *, region=None, network=None) -> Audience:
    """The scopes `user` may read; RuleViolation("DROITS") for anyone else (counselors included)."""
    if not (user.is_authenticated and user.has_right(Right.VIEW_AGGREGATES)):
        raise RuleViolation("DROITS", "Vous n'avez pas accès aux indicateurs agrégés.")
    if user.role == Role.MANAGER or (user.role == Role.ADMIN and user.structure_id):
        if user.structure_id is None:
            raise RuleViolation("DROITS", "Votre compte n'est rattaché à aucune structure.")
        scope = Scope(str(user.structure), structure_id=user.structure_id)
        return Audience((scope,), suppress=False, can_filter=False, can_refresh=user.role == Role.ADMIN)
    if user.role == Role.REGIONAL_OBSERVER:
        region_obj = user.region
        return Audience(
            (Scope(region_obj.name, region_id=region_obj.code), Scope(NATION)),
            suppress=True,
            can_filter=False,
            can_refresh=False,
        )
    if user.role in (Role.NATIONAL_OBSERVER, Role.ADMIN):
        if user.role == Role.NATIONAL_OBSERVER and region is not None and network is not None:
            raise RuleViolation(
                "INDICATEURS", "Choisissez une région ou un réseau, pas les deux à la fois.", field="reseau"
            )
        network_id = getattr(network, "code", None)
        suffix = f" – {network.short_label or network.label}" if network is not None else ""
        nation = Scope(NATION + suffix, network_id=network_id)
        # A région is always shown beside the nation (same filters): the secret then covers their difference.
        # The national observer reads one région or one network beside the whole nation (observer_secret).
        if user.role == Role.NATIONAL_OBSERVER and network is not None:
            scopes = (Scope(network.short_label or network.label, network_id=network_id), Scope(NATION))
        elif region:
            scopes = (Scope(region.name + suffix, region_id=region.code, network_id=network_id), nation)
        else:
            scopes = (nation,)
        return Audience(scopes, suppress=user.role == Role.NATIONAL_OBSERVER, can_filter=True, can_refresh=True)
    raise RuleViolation("DROITS", "Vous n'avez pas accès aux indicateurs agrégés.")


# ---------------------------------------------------------------- labels (static data, cached per process)

_LABELS: dict = {"at": 0.0, "data": None}


def labels() -> dict[str, list[tuple[str, str, datetime.date, datetime.date | None]]]:
    """family → [(code, label, valid_from, valid_to)] in referential order, cached 5 minutes."""
    if _LABELS["data"] is None or time.monotonic() - _LABELS["at"] > 300:
        from django.db import connection

        from cep.referentials import models as ref

        parts = []
        for family, model_name in REFERENTIAL_OF.items():
            table = getattr(ref, model_name)._meta.db_table
            parts.append(f"SELECT '{family}', code, label, valid_from, valid_to, position FROM {table}")
        data: dict[str, list] = {family: [] for family in REFERENTIAL_OF}
        with connection.cursor() as cur:  # one query for the six referentials
            cur.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 6, 3")
            for family, code, label, valid_from, valid_to, _ in cur.fetchall():
                data[family].append((code, label, valid_from, valid_to))
        _LABELS.update(at=time.monotonic(), data=data)
    return _LABELS["data"]


def _rows_for(family: str, present: set[str], start: datetime.date, end: datetime.date) -> list[tuple[str, str]]:
    if family in STATIC_LABELS:
        return list(STATIC_LABELS[family])
    rows = [
        (code, label)
        for code, label, valid_from, valid_to in labels()[family]
        if code in present or (valid_from <= end and (valid_to is None or valid_to >= start))
    ]
    known = {code for code, _ in rows}
    rows += [(code, code) for code in sorted(present - known - {NOT_FILLED[0]})]
    if NOT_FILLED[0] in present or family in (Family.EMPLOYMENT_STATUS, Family.QUALIFICATION_LEVEL):
        rows.append(NOT_FILLED)
    return rows


# ---------------------------------------------------------------- raw data per scope


@dataclass
class Raw:
    counts: dict = field(default_factory=dict)  # (month, family, level, code) → n
    stock: dict = field(default_factory=dict)  # month → (phase2, phase3)
    durations: dict = field(default_factory=dict)  # (phase, bucket) → n
    offers: dict = field(default_factory=dict)  # month → (active, new)
    _totals: dict | None = field(default=None, repr=False)

    def period_totals(self) -> dict[str, dict[tuple[int, str], int]]:
        """family → {(level, code): n} over the period (computed once: every category table reads it)."""
        if self._totals is None:
            totals: dict = {}
            for (_, family, level, code), n in self.counts.items():
                by_family = totals.setdefault(family, {})
                by_family[(level, code)] = by_family.get((level, code), 0) + n
            self._totals = totals
        return self._totals


def fetch(scope: Scope, start: datetime.date, end: datetime.date) -> Raw:
    """Four aggregate queries on the monthly tables for one scope and period."""
    raw = Raw()
    period = Q(month__gte=start, month__lte=end)
    for row in (
        MonthlyCount.objects.filter(period & scope.q())
        .values_list("month", "family", "level", "code")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        raw.counts[row[:4]] = row[4]
    for month, p2, p3 in (
        MonthlyStock.objects.filter(period & scope.q())
        .values_list("month")
        .annotate(p2=Sum("in_progress_phase2"), p3=Sum("in_progress_phase3"))
        .order_by()
    ):
        raw.stock[month] = (p2, p3)
    for phase, bucket, n in (
        MonthlyDuration.objects.filter(period & scope.q())
        .values_list("phase", "bucket")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        raw.durations[(phase, bucket)] = n
    for month, active, new in (
        MonthlyOffers.objects.filter(period & scope.q())
        .values_list("month")
        .annotate(a=Sum("active"), n=Sum("new"))
        .order_by()
    ):
        raw.offers[month] = (active, new)
    return raw


# ---------------------------------------------------------------- tables


@dataclass
class Table:
    key: str
    title: str
    row_header: str
    rows: list[str]
    columns: list[str]
    grids: list[list[list[int]]]  # one per scope (rows × columns)
    scope_labels: list[str]
    row_totals: bool = True
    col_totals: bool = True
    people: bool = True  # counts of people or of their services: suppressed for observers
    chart: str = "bars"  # bars (categories), series (months), none
    unit: str = "personnes"
    note: str = ""
    extra: dict = field(default_factory=dict)
    protected: suppression.Protected | None = None

    @property
    def columns_shown(self) -> list[str]:
        return self.columns + (["Total"] if self.row_totals else [])

    @property
    def rows_shown(self) -> list[str]:
        return self.rows + (["Total"] if self.col_totals else [])

    def cell(self, layer: int, i: int, j: int) -> tuple[str, str, int | None]:
        """(text, status, value or None when hidden) of an extended cell."""
        if self.protected is None:
            self.protected = suppression.Protected(
                values=[suppression._extend(g, self.row_totals, self.col_totals) for g in self.grids],
                status=[
                    [[suppression.OK] * len(r) for r in suppression._extend(g, self.row_totals, self.col_totals)]
                    for g in self.grids
                ],
            )
        p = self.protected
        if isinstance(p.values[layer][i][j], str):  # precomputed text (durations)
            return p.values[layer][i][j], p.status[layer][i][j], None
        status = p.status[layer][i][j]
        value = p.values[layer][i][j]
        return p.text(layer, i, j), status, (value if status == suppression.OK else None)

    def combined(self):
        """For templates: [(row label, [cells of every scope side by side], is the total row)]."""
        layers = self.layers()
        last = len(self.rows_shown) - 1
        return [
            (label, [cell for _, body in layers for cell in body[i][1]], self.col_totals and i == last)
            for i, label in enumerate(self.rows_shown)
        ]

    def layers(self):
        """For templates: [(scope label, [(row label, [(text, status, value)])])]."""
        out = []
        for layer, label in enumerate(self.scope_labels):
            body = []
            for i, row_label in enumerate(self.rows_shown):
                body.append((row_label, [self.cell(layer, i, j) for j in range(len(self.columns_shown))]))
            out.append((label, body))
        return out


def _category_table(raws, framework, family, key, title, header, cep_only, start, end) -> Table:
    levels = framework.cep_levels if cep_only else framework.levels
    present = {code for raw in raws for (_, code) in raw.period_totals().get(family, {})}
    rows = _rows_for(family, present, start, end)
    grids = []
    for raw in raws:
        totals = raw.period_totals().get(family, {})
        grids.append([[sum(totals.get((lv, code), 0) for lv in level.levels) for level in levels] for code, _ in rows])
    unit = "services" if family == Family.SERVICES else ("sorties" if family == Family.EXITS else "personnes")
    return Table(
        key=key,
        title=title,
        row_header=header,
        rows=[label for _, label in rows],
        columns=[level.label for level in levels],
        grids=grids,
        scope_labels=[],
        row_totals=len(levels) > 1,
        unit=unit,
        extra={"family": family, "codes": [code for code, _ in rows], "cep_only": cep_only},
    )


def _entries_series(raws, framework, months) -> Table:
    grids = []
    for raw in raws:
        grid = []
        for month in months:
            grid.append(
                [
                    sum(raw.counts.get((month, Family.ENTRIES, lv, "total"), 0) for lv in level.levels)
                    for level in framework.levels
                ]
            )
        grids.append(grid)
    return Table(
        key="entrees",
        title="Entrées par niveau et par mois",
        row_header="Mois",
        rows=[month_label(m) for m in months],
        columns=[level.label for level in framework.levels],
        grids=grids,
        scope_labels=[],
        chart="series",
        note="Niveau 1 : personnes ayant reçu un service CEP de niveau 1 dans le mois (une fois par structure et "
        "par mois). Niveaux suivants : CEP entrés dans le mois, selon la phase d'entrée.",
    )


def _moves_series(raws, months) -> Table:
    grids = [[[raw.counts.get((m, Family.PHASE3_MOVES, 3, "total"), 0)] for m in months] for raw in raws]
    return Table(
        key="passages",
        title="Passages de la phase 2 à la phase 3",
        row_header="Mois",
        rows=[month_label(m) for m in months],
        columns=["Passages en phase 3"],
        grids=grids,
        scope_labels=[],
        row_totals=False,
        chart="series",
        unit="CEP",
        note="Le passage en phase 3 n'est ni une sortie ni une nouvelle entrée.",
    )


def _stock_series(raws, framework, months) -> Table:
    split = framework.code == "2014"
    grids = []
    for raw in raws:
        grid = []
        for m in months:
            p2, p3 = raw.stock.get(m, (0, 0))
            grid.append([p2, p3] if split else [p2 + p3])
        grids.append(grid)
    columns = [lv.label for lv in framework.cep_levels]
    return Table(
        key="en_cours",
        title="CEP en cours en fin de mois",
        row_header="Mois",
        rows=[month_label(m) for m in months],
        columns=columns,
        grids=grids,
        scope_labels=[],
        row_totals=split,
        col_totals=False,
        chart="series",
        unit="CEP",
        note="Un stock ne s'additionne pas d'un mois à l'autre : pas de total sur la période.",
    )


def _offers_series(raws, months) -> Table:
    grids = [[list(raw.offers.get(m, (0, 0))) for m in months] for raw in raws]
    return Table(
        key="offres",
        title="Évolution de l'offre de services CEP",
        row_header="Mois",
        rows=[month_label(m) for m in months],
        columns=["Offres CEP actives", "Offres ouvertes dans le mois"],
        grids=grids,
        scope_labels=[],
        row_totals=False,
        col_totals=False,
        people=False,
        chart="series",
        unit="offres",
        note="Offres de services rattachées à la mesure nationale CEP, actives au moins un jour du mois.",
    )


# ---------------------------------------------------------------- durations (percentiles from histograms


def duration_bucket(days: int) -> int:
    """The histogram bucket of a duration (same rule as DURATION_BUCKET_SQL in indicators_refresh.py)."""
    if days < 92:
        return days
    if days < 365:
        return 92 + 7 * ((days - 92) // 7)
    if days < 1095:
        return 365 + 30 * ((days - 365) // 30)
    return 1095


def bucket_width(bucket: int) -> int:
    if bucket < 92:
        return 1
    if bucket < 365:
        return 7
    if bucket < 1095:
        return 30
    return 1


def _value_at_rank(hist: list[tuple[int, int]], rank: int) -> float:
    """The rank-th (0-based) duration of the sorted durations, from (bucket, count) sorted by bucket.

    Exact for 1-day buckets; inside a wider bucket, durations are taken as evenly spread."""
    seen = 0
    for bucket, count in hist:
        if rank < seen + count:
            width = bucket_width(bucket)
            if width == 1:
                return float(bucket)
            return bucket + width * (rank - seen + 0.5) / count
        seen += count
    raise IndexError(rank)


def percentile(hist: list[tuple[int, int]], p: float) -> float | None:
    """Like PostgreSQL percentile_cont(p): linear interpolation between the two nearest ranks."""
    n = sum(c for _, c in hist)
    if n == 0:
        return None
    pos = p * (n - 1)
    low, high = int(pos), min(int(pos) + 1, n - 1)
    a, b = _value_at_rank(hist, low), _value_at_rank(hist, high)
    return a + (b - a) * (pos - low)


DURATION_PHASES = {
    "2019": [(0, "Accompagnement personnalisé (parcours complet)")],
    "2014": [
        (2, "Conseil personnalisé (phase 2)"),
        (3, "Accompagnement à la mise en œuvre (phase 3)"),
        (0, "Parcours complet (phases 2 et 3)"),
    ],
}


def _durations(raws, framework) -> Table:
    phases = DURATION_PHASES[framework.code]
    grids, hists = [], []
    for raw in raws:
        grid, hist_layer = [], []
        for phase, _ in phases:
            hist = sorted((b, n) for (ph, b), n in raw.durations.items() if ph == phase and n)
            grid.append([sum(n for _, n in hist)])
            hist_layer.append(hist)
        grids.append(grid)
        hists.append(hist_layer)
    table = Table(
        key="durees",
        title="Durée des parcours terminés (en jours)",
        row_header="Phase",
        rows=[label for _, label in phases],
        columns=["CEP terminés", "1er quartile", "Médiane", "3e quartile"],
        grids=grids,
        scope_labels=[],
        row_totals=False,
        col_totals=False,
        chart="none",
        unit="jours",
        note="Durée = date de fin − date d'entrée, en jours, des CEP terminés sur la période. Les quartiles sont "
        "calculés sur l'histogramme des durées : exacts jusqu'à 91 jours, à la semaine près jusqu'à un an, "
        "à 30 jours près au-delà.",
    )
    table.extra["hists"] = hists
    table.extra["phases"] = [phase for phase, _ in phases]
    return table


def _finish_durations(table: Table, protected: suppression.Protected | None) -> None:
    """Counts (column 0) go through suppression (`protected`: their statuses); quartiles are hidden with them."""
    counts = [[row[:1] for row in grid] for grid in table.grids]
    values, status = [], []
    for layer, grid in enumerate(counts):
        vrows, srows = [], []
        for i, row in enumerate(grid):
            st = protected.status[layer][i][0] if protected else suppression.OK
            hist = table.extra["hists"][layer][i]
            text_count = suppression.TEXT.get(st) or str(row[0])
            cells, stats = [text_count], [st]
            for p in (0.25, 0.5, 0.75):
                if st != suppression.OK or not row[0]:
                    cells.append("s" if st != suppression.OK else "–")
                    stats.append(st)
                else:
                    cells.append(f"{percentile(hist, p):.0f}".replace(".", ","))
                    stats.append(suppression.OK)
            vrows.append(cells)
            srows.append(stats)
        values.append(vrows)
        status.append(srows)
    table.protected = suppression.Protected(values=values, status=status)


@dataclass
class Dashboard:
    framework: Framework
    start: datetime.date
    end: datetime.date
    months: list[datetime.date]
    audience: Audience
    tables: list[Table]
    version: int

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


def people_tables(raws, framework: Framework, months, start, end) -> list[Table]:
    """Every table of a framework from the raw data of each scope (one grid per scope)."""
    tables = [_entries_series(raws, framework, months)]
    if framework.code == "2014":
        tables.append(_moves_series(raws, months))
    tables.append(_stock_series(raws, framework, months))
    for family, key, title, header, cep_only in CATEGORY_TABLES:
        tables.append(_category_table(raws, framework, family, key, title, header, cep_only, start, end))
    tables.append(_durations(raws, framework))
    tables.append(_offers_series(raws, months))
    return tables


def build(
    audience: Audience, framework_code: str, start: datetime.date, end: datetime.date, *, version: int = 0
) -> list[Table]:
    framework = FRAMEWORKS[framework_code]
    months = months_between(start, end)
    raws = [fetch(scope, months[0], months[-1]) for scope in audience.scopes]
    tables = people_tables(raws, framework, months, start, end)
    secret = observer_secret.protect_year(start, end, version) if audience.suppress else None
    for table in tables:
        table.scope_labels = [scope.label for scope in audience.scopes]
        if table.chart == "series":
            table.extra["short_rows"] = [month_short(m) for m in months]
        protected = _observer_protected(table, framework, months, audience, secret) if secret else None
        if table.key == "durees":
            _finish_durations(table, protected)
        elif protected is not None:
            table.protected = protected
    return tables


def _observer_protected(table, framework, months, audience, secret) -> suppression.Protected | None:
    """The table's cells with the statuses of the year's joint protection (observer_secret)."""
    keys = observer_secret.quantity_keys(table, framework, months)
    if keys is None:
        return None
    tag = (framework.code, table.key)
    grids = [suppression._extend(g, table.row_totals, table.col_totals) for g in table.grids]
    if table.key == "durees":
        grids = [[row[:1] for row in g] for g in table.grids]
    same_rows = secret["keys"].get(tag) == keys
    statuses = []
    for scope, grid in zip(audience.scopes, grids, strict=True):
        sid = observer_secret.scope_id(scope)
        layer = []
        for i, row in enumerate(grid):
            srow = []
            for j, value in enumerate(row):
                cell = (sid, secret["mapping"].get((tag, i, j)))
                known = secret["values"].get(cell)
                # Fail safe: a figure the joint protection did not see (data refreshed in between) is hidden.
                if same_rows and known == value:
                    srow.append(secret["status"][cell])
                else:
                    empty = same_rows and known is None and value == 0  # a scope without data at all
                    srow.append(suppression.OK if empty else suppression.SECONDARY)
            layer.append(srow)
        statuses.append(layer)
    return suppression.Protected(values=grids, status=statuses)


def refresh_state() -> RefreshState:
    """The refresh state (one row), read on every dashboard view with one plain SELECT."""
    return plain_sql.load(RefreshState, 1) or RefreshState(pk=1)


def cache_key(audience: Audience, framework_code: str, start, end, state: RefreshState) -> str:
    """Everything a dashboard depends on; the refresh version makes every refresh invalidate it."""
    keys = "|".join(s.key for s in audience.scopes)
    return f"ind:{state.version}:{keys}:{int(audience.suppress)}:{framework_code}:{start:%Y%m}:{end:%Y%m}"


def dashboard(
    audience: Audience, framework_code: str, start: datetime.date, end: datetime.date, *, state=None
) -> Dashboard:
    """The dashboard of an audience, cached until the next refresh (the cache key holds the version)."""
    if framework_code not in FRAMEWORKS:
        raise RuleViolation("INDICATEURS", "Référentiel inconnu : choisissez 2019 ou 2014.", field="framework")
    if end < start:
        raise RuleViolation("INDICATEURS", "Le mois de fin précède le mois de début.", field="end")
    if len(months_between(start, end)) > MAX_MONTHS:
        raise RuleViolation("INDICATEURS", f"La période est limitée à {MAX_MONTHS} mois.", field="start")
    if audience.suppress and (start, end) != observer_period(start.year):
        raise RuleViolation("INDICATEURS", "Les observateurs lisent une année civile à la fois.", field="annee")
    state = state or refresh_state()
    key = cache_key(audience, framework_code, start, end, state)
    tables = cache.get(key)
    if tables is None:
        tables = build(audience, framework_code, start, end, version=state.version)
        cache.set(key, tables, 3600)
    return Dashboard(
        framework=FRAMEWORKS[framework_code],
        start=start,
        end=end,
        months=months_between(start, end),
        audience=audience,
        tables=tables,
        version=state.version,
    )


def default_period(state: RefreshState | None = None) -> tuple[datetime.date, datetime.date]:
    """The last twelve months up to the current one."""
    from cep.common.dates import add_months, today

    end = month_start(today())
    return add_months(end, -11), end


# ---------------------------------------------------------------- observers' periods: one calendar year


def observer_period(year: int) -> tuple[datetime.date, datetime.date]:
    """January to December; the current year up to its last complete month (year to date)."""
    end = min(datetime.date(year, 12, 1), last_complete_month())
    return datetime.date(year, 1, 1), end


def observer_years() -> list[int]:
    """The calendar years with data and at least one complete month, newest first (cached 5 minutes)."""
    years = cache.get("ind:observer_years")
    if years is None:
        last = last_complete_month().year
        years = sorted({d.year for d in MonthlyCount.objects.dates("month", "year") if d.year <= last}, reverse=True)
        cache.set("ind:observer_years", years, 300)
    return years
