"""Background jobs (django-tasks, database backend). Run the worker with `manage.py db_worker`."""

from django_tasks import task


@task()
def produce_export_batch(batch_id: int, attempt: int | None = None) -> dict:
    from .batches import produce

    batch = produce(batch_id, attempt=attempt)
    return {"batch": batch.pk, "state": batch.job_state, "status": batch.status, "rows": batch.row_count}
