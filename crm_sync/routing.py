"""Celery's router (``CELERY_TASK_ROUTES``): which queue each task goes to. See
crm_sync.services.fairness for the queues and why."""

from __future__ import annotations

DISPATCH_TASKS = {"crm_sync.tasks.dispatch_due_schedules", "crm_sync.tasks.recover_stale_runs"}


def route_task(name, args, kwargs, options, task=None, **kw):
    """Beat's ticks to ``dispatch``; a run to ``backlog`` when it is expected to be large,
    else to ``celery`` (the default). An explicit ``queue=`` wins (Celery merges it last)."""
    if name in DISPATCH_TASKS:
        return {"queue": "dispatch"}
    if name == "crm_sync.tasks.execute_sync_run":
        run_id = (args or [None])[0] if args else (kwargs or {}).get("run_id")
        if isinstance(run_id, int):
            from crm_sync.services.fairness import run_queue

            return {"queue": run_queue(run_id=run_id)}
    return None
