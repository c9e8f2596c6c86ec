"""The orientations' daily deadlines as a background job (django-tasks; enqueued by `cep_orientations --en-tache`)."""

import datetime

from django_tasks import task


@task()
def deadlines_task(now: str | None = None) -> dict:
    from .services import run_deadlines

    expired, reminded = run_deadlines(now=datetime.datetime.fromisoformat(now) if now else None)
    return {"expired": expired, "reminded": reminded}
