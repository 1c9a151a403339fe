import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_up():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("ok", "ok", "ok")


def test_healthz_answers_503_when_the_broker_is_unreachable(settings):
    # Nothing listens on port 1 of loopback: the broker is down as far as the product can tell.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {**response.json(), "status": "degraded", "broker": "down", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(settings):
    from django.db import connections

    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        response = Client().get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_healthz_needs_no_sign_in_and_is_not_redirected_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/healthz")
    assert response.status_code == 200
