"""Celery tasks of the settlement app: a few lines each, calling one service."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def statement_folder_sweep():
    """Beat, every minute: import the statement files dropped in STATEMENT_DROP_DIR."""
    from settlement.statements.folder import statement_folder_sweep as sweep

    return sweep()
