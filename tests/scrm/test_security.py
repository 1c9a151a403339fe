"""Production-style settings pass Django's deployment checks, and pages carry the security headers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_with_no_warnings():
    dropped = ("DEBUG", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update({
        "DEBUG": "false",
        "SECRET_KEY": "x7!kq2@zj9#vp4$wm8^rt6&ny3*bh5(lc1)ds0_fg-ea+ui=ox",
        "ALLOWED_HOSTS": "scrm.example.com",
        "PUBLIC_BASE_URL": "https://scrm.example.com",
        "DJANGO_SETTINGS_MODULE": "scrm.settings",
    })
    result = subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env["DEBUG"] = "false"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("value", [None, "", "scrm.example.com", "https://scrm.example.com/?next=1"])
def test_production_settings_refuse_to_start_without_a_public_address(value):
    """Links in emails and satisfaction messages must point where customers can reach us, not at 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "PUBLIC_BASE_URL")}
    env.update({"DEBUG": "false", "SECRET_KEY": "x7!kq2@zj9#vp4$wm8^rt6&ny3*bh5(lc1)ds0_fg-ea+ui=ox"})
    if value is not None:
        env["PUBLIC_BASE_URL"] = value
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "Set PUBLIC_BASE_URL" in result.stderr


@pytest.mark.django_db
def test_pages_send_csp_frame_and_content_type_headers():
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_templates_escape_user_content(organization, make_user):
    from django.test import Client as DjangoClient

    user = make_user(organization, "ops_admin", display_name="<script>alert(1)</script>")
    client = DjangoClient()
    client.force_login(user)
    body = client.get("/settings/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize("url", ["/customers/new/", "/tickets/settings/queues/", "/tickets/settings/types/",
                                 "/tickets/settings/rules/new/"])
def test_settings_forms_lay_out_without_inline_styles_the_policy_blocks(url, ops_admin):
    """The policy allows styles from our files only: the browser dropped these forms' inline widths and scroll
    boxes, so the customer form ran the page's full width and a long agent list pushed the save button far down."""
    client = Client()
    client.force_login(ops_admin)
    response = client.get(url)
    assert response.status_code == 200
    assert "'unsafe-inline'" not in response["Content-Security-Policy"].split("style-src")[1].split(";")[0]
    assert " style=" not in response.content.decode()
