"""The daily retention run as a background job (django-tasks; the worker is `manage.py db_worker`).

Enqueued by `manage.py cep_retention --en-tache` (a cron line can use either form).
"""

import datetime

from django_tasks import task


@task()
def retention_task(on: str | None = None, months: int | None = None) -> dict:
    from .services import run

    outcome = run(on=datetime.date.fromisoformat(on) if on else None, months=months)
    return {
        "anonymised": outcome.anonymised,
        "history_rows_redacted": outcome.history_rows_redacted,
        "log_rows_purged": outcome.log_rows_purged,
    }
