"""Background tasks (django-tasks, database backend). A task only wakes a worker for a message; the
message row holds the state, the attempts and the outcome (notifications/delivery.py)."""

from __future__ import annotations

from django_tasks import TaskContext, task

from .delivery import deliver


@task(takes_context=True)
def send_message(context: TaskContext, message_id: str) -> str:
    """Send one message (by public id), once; a duplicate task finds it claimed or done and skips."""
    worker = context.task_result.worker_ids[-1] if context.task_result.worker_ids else ""
    return deliver(message_id, worker=worker)
