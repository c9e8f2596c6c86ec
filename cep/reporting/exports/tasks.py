"""Background jobs (django-tasks, database backend). Run the worker with `manage.py db_worker`."""

from django_tasks import task


@task()
def produce_export_batch(batch_id: int) -> dict:
    from .batches import produce

    batch = produce(batch_id)
    return {"batch": batch.pk, "state": batch.job_state, "status": batch.status, "rows": batch.row_count}
