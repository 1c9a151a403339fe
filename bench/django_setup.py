"""Django for a scenario that works in-process (data generation, query capture, timing a service)."""

import os


def setup_django():
    """Configure and set up Django: the project's settings, DEBUG's development secret key (nothing in-process
    serves HTTP), no HTTPS redirect for the test client. A scenario's own environment wins."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrm.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()
