"""Public form submissions through gunicorn, beside http_baseline in the same run.

Creates a fresh organization (its slug carries the run's time) with one published 30-field form with logic (visible-if
and required-if on a third of its fields; text, mobile, email, pattern, number, money, date, choices, rating,
agreement), starts gunicorn on loopback (as http_baseline does) and, at each --concurrency level, measures GET /healthz
(the baseline) and POST /f/<org>/<form>/ in interleaved rounds. Each POST is what a phone sends: a urlencoded body of
every answer (its own name per request) with Django's CSRF token and cookie, taken once from the page before the
clients start. A submission counts as accepted when it answers 302 to the thank-you page: the whole engine ran (the
Django form built from the schema, the logic applied, every field validated) and the submission was stored.

The page limits submissions per client address. The server runs with AXES_PROXY_COUNT=1 and every request carries
its own X-Forwarded-For, as customers behind one reverse proxy do (scrm.platform.http.client_ip), so the budget is
counted (one Redis increment per POST) but never reached. The page's static files are collected first into a
temporary STATIC_ROOT (bench.server.collected_static): with DEBUG off the templates need their manifest.
--purpose intake makes it an intake form: every submission then also finds or creates its customer and opens a
routed ticket. The organization is deleted afterwards (--keep
keeps it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench form_submit
"""

import http.client
import re
import sys
from datetime import UTC, datetime
from urllib.parse import urlencode

from bench.django_setup import organization_delete
from bench.load import FixedRequest, Request, run_load
from bench.scenarios.wechat_ingest import Prebuilt, _levels, _setup_django, level_beside_baseline
from bench.server import (
    add_server_arguments,
    collected_static,
    gunicorn_server,
    run_secrets,
    server_options,
    server_report,
)

# A run of seconds: what the tests run (python -m bench form_submit --tiny).
TINY = ("--concurrency", "2", "--requests", "40", "--rounds", "1", "--warmup", "10")

CHOICES = [{"value": v, "label": label} for v, label in (("fault", "设备故障"), ("install", "安装"),
                                                         ("complaint", "投诉"), ("other", "其他"))]


def add_arguments(parser):
    add_server_arguments(parser)
    parser.add_argument("--concurrency", type=_levels, default=(4, 8),
                        help="concurrent client connections, one level or several (default 4,8)")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the connections are spread over")
    parser.add_argument("--requests", type=int, default=2000,
                        help="submissions (and baseline requests) to send at each level")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved baseline/submission rounds per level, pooled (default 3)")
    parser.add_argument("--duration", type=float, default=20.0, help="time limit of each HTTP part in seconds")
    parser.add_argument("--warmup", type=int, default=100, help="requests sent and discarded before measuring")
    parser.add_argument("--purpose", choices=["survey", "intake"], default="survey",
                        help="survey: stored only (default); intake: each submission also opens a ticket")
    parser.add_argument("--keep", action="store_true", help="keep the generated organization afterwards")


def schema_30():
    """Thirty answerable fields over three pages, ten of them behind logic (shown or required by earlier answers)."""
    shown_if_fault = {"conditions": [{"field": "problem", "op": "equals", "value": "fault"}]}
    fields = [
        {"key": "name", "type": "text", "label": "姓名", "required": True, "bind": "customer.name"},
        {"key": "mobile", "type": "mobile", "label": "手机", "required": True, "bind": "customer.mobile"},
        {"key": "email", "type": "email", "label": "邮箱"},
        {"key": "problem", "type": "dropdown", "label": "问题类型", "required": True, "options": CHOICES},
        {"key": "fault_code", "type": "code", "label": "故障代码", "regex": "E\\d{2}", "required": True,
         "visible_if": shown_if_fault},
        {"key": "model", "type": "text", "label": "型号", "visible_if": shown_if_fault, "max_length": 50},
        {"key": "detail", "type": "textarea", "label": "问题描述",
         "required_if": {"mode": "any", "conditions": [{"field": "problem", "op": "in",
                                                        "value": ["complaint", "other"]}]}},
        {"key": "amount", "type": "money", "label": "购买金额", "min": 0, "max": 100000},
        {"key": "bought", "type": "date", "label": "购买日期"},
        {"key": "channel", "type": "single_choice", "label": "购买渠道", "options": CHOICES[:3]},
        {"key": "likes", "type": "multi_choice", "label": "关注点", "options": CHOICES},
        {"key": "stars", "type": "rating", "label": "满意度"},
        {"key": "agree", "type": "agreement", "label": "同意隐私条款", "required": True},
    ]
    for n in range(17):  # the rest: plain and conditional numbers and texts, as long forms have
        if n % 2:
            fields.append({"key": f"extra_{n}", "type": "number", "label": f"数量{n}", "min": 0, "max": 1000,
                           **({"visible_if": {"conditions": [{"field": "stars", "op": "gt", "value": 2}]}}
                              if n % 3 == 0 else {})})
        else:
            fields.append({"key": f"extra_{n}", "type": "text", "label": f"补充{n}", "max_length": 100,
                           **({"required_if": {"conditions": [{"field": "problem", "op": "not_equals",
                                                               "value": "install"}]}} if n % 4 == 0 else {})})
    pages = [fields[:10], fields[10:20], fields[20:]]
    return {"sections": [{"key": f"p{i}", "title": f"第{i + 1}页", "fields": page} for i, page in enumerate(pages)]}


def answers(seq):
    """A complete, valid submission (the fault branch: every conditional field is shown and answered)."""
    data = {"name": f"压测客户{seq}", "mobile": f"139{seq % 100_000_000:08d}", "email": f"c{seq}@example.com",
            "problem": "fault", "fault_code": f"E{seq % 100:02d}", "model": "KFR-35GW", "detail": "空调不制冷",
            "amount": f"{seq % 5000}.50", "bought": "2026-06-18", "channel": "fault", "likes": ["fault", "other"],
            "stars": str(seq % 5 + 1), "agree": "on"}
    for n in range(17):
        data[f"extra_{n}"] = str(n * 3) if n % 2 else f"补充信息{n}"
    return data


class Submissions(Prebuilt):
    """The bodies of `count` submissions, built before the clients start (with the page's CSRF token and cookie)."""

    @classmethod
    def build(cls, path, *, cookie, token, count, offset):
        requests = []
        for seq in range(offset, offset + count):
            body = urlencode({"csrfmiddlewaretoken": token, **answers(seq)}, doseq=True).encode()
            client = f"10.{seq // 65536 % 256}.{seq // 256 % 256}.{seq % 256}"
            requests.append(Request("POST", path, {"Content-Type": "application/x-www-form-urlencoded",
                                                   "Cookie": cookie, "X-Forwarded-For": client}, body))
        return cls(requests)


def csrf_of(server, path):
    """The CSRF cookie and form token a visitor gets with the page."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        html = response.read().decode()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        cookies = [header.split(";", 1)[0] for name, header in response.getheaders() if name.lower() == "set-cookie"]
    finally:
        connection.close()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return "; ".join(cookies), token


def _build(run_id, purpose):
    from forms_builder.services import form_create, form_version_publish
    from scrm.models import Organization
    from scrm.platform.tenancy import tenant_scope

    organization = Organization.objects.create(slug=f"bench-form-{run_id}", name=f"压测企业 {run_id}")
    with tenant_scope(organization):
        form = form_create(organization=organization, name="压测表单", slug="bench", purpose=purpose,
                           schema=schema_30())
        form_version_publish(form=form)
    return organization, f"/f/{organization.slug}/bench/"


def _stored(organization):
    from forms_builder.models import FormSubmission
    from scrm.platform.tenancy import tenant_scope
    from tickets.models import Ticket

    with tenant_scope(organization):
        return {"submissions": FormSubmission.objects.count(), "tickets": Ticket.objects.count()}


def _level(server, path, args, *, csrf, index, concurrency):
    submissions = Submissions.build(path, cookie=csrf[0], token=csrf[1], count=args.requests,
                                    offset=index * 1_000_000)
    level = level_beside_baseline(server, submissions, args, concurrency=concurrency, name="form_submit",
                                  goal_ratio=0, goal_p99_ms=float("inf"))
    figures = level["form_submit"]
    figures["accepted"] = figures["status"].get("302", 0)  # redirected to the thank-you page: stored
    figures["accepted_per_s"] = round(figures["accepted"] / figures["seconds"], 1) if figures["seconds"] else None
    level.pop("goal_ratio_met"), level.pop("goal_p99_met")  # the issue sets no goal: the ratio is the figure
    return level


def run(args):
    if max(args.requests, args.warmup) >= 1_000_000 or len(args.concurrency) > 8:
        raise ValueError("at most 8 levels of under 1,000,000 requests each")
    run_id = int(datetime.now(UTC).strftime("%y%m%d%H%M%S"))
    env = {**run_secrets(), "AXES_PROXY_COUNT": "1"}
    _setup_django(env)
    from scrm.platform.tenancy import platform_scope

    with platform_scope():
        organization, path = _build(run_id, args.purpose)
        try:
            with collected_static() as static, gunicorn_server(**server_options(args), env={**env, **static}) as server:
                print(f"gunicorn pid {server.pid} on {server.base_url}; baseline then {path} at each of "
                      f"{args.concurrency} connections", file=sys.stderr)
                csrf = csrf_of(server, path)
                if args.warmup:
                    load = {"concurrency": args.concurrency[0], "processes": args.client_processes,
                            "duration": args.duration}
                    run_load(server.host, server.port, FixedRequest("GET", "/healthz"), max_requests=args.warmup,
                             **load)
                    warmup = Submissions.build(path, cookie=csrf[0], token=csrf[1], count=args.warmup,
                                               offset=9_000_000)
                    run_load(server.host, server.port, warmup, max_requests=args.warmup, **load)
                levels = [_level(server, path, args, csrf=csrf, index=index, concurrency=concurrency)
                          for index, concurrency in enumerate(args.concurrency)]
            stored = _stored(organization)
        finally:
            if not args.keep:
                organization_delete(organization)

    return {
        **server_report(args),
        "purpose": args.purpose,
        "fields": sum(len(section["fields"]) for section in schema_30()["sections"]),
        "requests_limit": args.requests,
        "levels": levels,
        "stored": stored,
    }
