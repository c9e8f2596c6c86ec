"""Background refresh of the indicators (django-tasks; the worker is `manage.py db_worker`)."""

from django_tasks import task

from cep.common.months import parse_month

from .refresh import RefreshBusy, mark_queued, refresh


@task()
def refresh_indicators_task(month: str | None = None, full: bool = False) -> dict:
    months = [parse_month(month)] if month else None
    try:
        done = refresh(months=months, full=full)
    except RefreshBusy as exc:
        return {"months": [], "message": str(exc)}
    return {"months": [m.isoformat()[:7] for m in done]}


def enqueue_refresh(*, month: str | None = None, full: bool = False):
    """Mark the refresh as queued (the page shows it at once), then hand it to the worker."""
    state = mark_queued()
    if state.state == state.State.RUNNING:
        return None
    return refresh_indicators_task.enqueue(month=month, full=full)
