"""The Celery app, configured from Django settings (CELERY_ namespace)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrm.settings")

app = Celery("scrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _assert_no_scope_open(where):
    # Imported here: this module loads with the `scrm` package, before Django's app registry (tenancy has models).
    from scrm.platform.tenancy import assert_no_scope_open

    assert_no_scope_open(where)


@signals.task_prerun.connect
def _task_starts_with_no_scope(task=None, **kwargs):
    """Every task opens its own scope from the row it was given: one still open on the worker's thread leaked from
    an earlier task. It is closed here and reported; Celery logs a signal handler's exception, the task runs clean.
    An eager task (tests, `task_always_eager`) runs inside its caller's scope on purpose and is left alone."""
    if task is None or not task.request.is_eager:
        _assert_no_scope_open(f"the task {getattr(task, 'name', '?')}")


@signals.task_postrun.connect
def _task_leaves_no_scope(task=None, **kwargs):
    if task is None or not task.request.is_eager:
        _assert_no_scope_open(f"the end of the task {getattr(task, 'name', '?')}")
