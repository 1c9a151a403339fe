"""Celery tasks of the tickets app: a few lines each, calling one service."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def attachment_orphans_delete():
    """Beat, hourly: files left by transactions that rolled back after storing them."""
    from tickets.services.attachments import attachment_orphans_delete as delete

    return delete()
