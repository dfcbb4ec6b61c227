"""Sending work to the Celery workers, from services.

Tasks are looked up by name in the Celery app's registry instead of importing
crm_sync.tasks: the tasks call these services, so importing them back would tie the two
modules in a circle. Everything is sent on commit, so a worker never sees a run the
database does not have yet.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction

EXECUTE_SYNC_RUN = "crm_sync.tasks.execute_sync_run"
SCHEDULED_RUN = "crm_sync.tasks.scheduled_run"


def run_execution_enqueue(*, run_id: int) -> None:
    """Execute this run on a worker once the current transaction commits."""
    transaction.on_commit(lambda: current_app.tasks[EXECUTE_SYNC_RUN].delay(run_id))


def scheduled_run_enqueue(*, tenant_id: int, schedule: str) -> None:
    """Trigger one tenant's schedule on a worker once the current transaction commits."""
    transaction.on_commit(lambda: current_app.tasks[SCHEDULED_RUN].delay(tenant_id, schedule))


def scheduled_run_publish(*, tenant_id: int, schedule: str, producer) -> None:
    """Send one scheduled run now over ``producer`` (the dispatcher's one broker
    connection for a whole batch). Not on commit: the dispatcher has already committed the
    claim, and restores it itself if the send fails."""
    current_app.tasks[SCHEDULED_RUN].apply_async(
        kwargs={"tenant_id": tenant_id, "schedule": schedule}, producer=producer
    )
