"""Durations of the ended CEPs, stored as histograms (summable) and read as quartiles.

Buckets (lower bound, in days): exact to 91, weekly to 364, 30-day to 1094, then one last bucket. The rule is
written twice, side by side: in SQL for the refresh and in Python for the readers.
"""

DURATION_BUCKET_SQL = """CASE
    WHEN {d} < 92 THEN {d}
    WHEN {d} < 365 THEN 92 + 7 * (({d} - 92) / 7)
    WHEN {d} < 1095 THEN 365 + 30 * (({d} - 365) / 30)
    ELSE 1095 END"""


def duration_bucket(days: int) -> int:
    """The histogram bucket of a duration (same rule as DURATION_BUCKET_SQL above)."""
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
