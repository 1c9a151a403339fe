"""Fixtures of the core app's tests. The Celery fixtures (`eager_tasks`, `celery_worker`) moved to tests/conftest.py,
so every app's tests share them."""
