"""Background jobs (django-tasks, database backend). Run the worker with `manage.py db_worker`."""

from django_tasks import task


@task()
def apply_import_batch(batch_id: int, attempt: int | None = None) -> dict:
    from .services import apply

    batch = apply(batch_id, attempt=attempt)
    return {"batch": batch.pk, "status": batch.status}


@task()
def undo_import_batch(batch_id: int, attempt: int | None = None) -> dict:
    from .services import perform_undo

    batch = perform_undo(batch_id, attempt=attempt)
    return {"batch": batch.pk, "status": batch.status}
