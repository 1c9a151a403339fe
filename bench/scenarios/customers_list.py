"""Customers list at scale: the list filtered by tag and the search by exact mobile, with 1,000,000 customers.

Builds (once, then reuses) one organization with --customers customers (each with a WeChat identity and one or two
of 20 tags) and --other-orgs organizations beside it with --other-size customers each, generated in set-based SQL.
Then, signed in as an agent of the big organization, it requests through Django's full stack in this process
(middleware, tenant scope, filters, table, template; no HTTP socket) and reports latency percentiles and the number
of queries per page, for three cases: the list filtered by a random tag, the search by a random existing mobile, and
the unfiltered first page. Needs PostgreSQL:

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench customers_list
"""

import random
import statistics
import sys
import time

from bench.django_setup import setup_django
from bench.load import percentile

BIG_SLUG = "bench-customers"
TAG_COUNT = 20


# A run of seconds: what the tests run (python -m bench customers_list --tiny).
TINY = ("--customers", "2000", "--other-orgs", "1", "--other-size", "200", "--requests", "5")


def add_arguments(parser):
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers in the measured organization")
    parser.add_argument("--other-orgs", type=int, default=10, help="organizations beside it")
    parser.add_argument("--other-size", type=int, default=20_000, help="customers in each of those")
    parser.add_argument("--requests", type=int, default=200, help="requests per case (default 200)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the request mix")



def _generate(organization, count, tags, mobile_prefix):
    """Customers, one identity each and one or two tags each, in three INSERT ... SELECT statements."""
    from django.db import connection

    from bench.rows import default_columns
    from scrm.models import ChannelIdentity, Customer, CustomerTag

    tag_ids = [t.pk for t in tags]
    customer_columns = ("organization_id", "display_name", "mobile", "level", "source_channel", "first_contact_at",
                        "last_contact_at", "created_at")
    customer_other = default_columns(Customer, customer_columns)
    identity_columns = ("organization_id", "customer_id", "channel", "app_id", "external_id", "created_at")
    identity_other = default_columns(ChannelIdentity, identity_columns)
    tag_columns = ("organization_id", "customer_id", "tag_id", "created_at")
    tag_other = default_columns(CustomerTag, tag_columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO scrm_customer ({", ".join(customer_columns)}{customer_other[0]})
            SELECT %s, '客户' || g, %s || lpad(g::text, 8, '0'),
                   CASE WHEN g %% 20 = 0 THEN 'svip' WHEN g %% 5 = 0 THEN 'vip' ELSE 'normal' END, 'wechat_oa',
                   now() - (g %% 700) * interval '1 day', now() - (g %% 30) * interval '1 day',
                   now() - g * interval '1 second'{customer_other[1]}
            FROM generate_series(1, %s) AS g
            """,  # noqa: S608 - names and defaults from the models
            [organization.pk, mobile_prefix, count],
        )
        cursor.execute(
            f"""
            INSERT INTO scrm_channelidentity ({", ".join(identity_columns)}{identity_other[0]})
            SELECT organization_id, id, 'wechat_oa', 'wx-bench', 'o' || md5(id::text), created_at{identity_other[1]}
            FROM scrm_customer WHERE organization_id = %s
            """,  # noqa: S608 - names and defaults from the models
            [organization.pk],
        )
        cursor.execute(
            f"""
            INSERT INTO scrm_customertag ({", ".join(tag_columns)}{tag_other[0]})
            SELECT organization_id, id, (%s::bigint[])[1 + id %% %s], created_at{tag_other[1]}
            FROM scrm_customer WHERE organization_id = %s
            UNION ALL
            SELECT organization_id, id, (%s::bigint[])[1 + (id / 7) %% %s], created_at{tag_other[1]}
            FROM scrm_customer WHERE organization_id = %s AND id %% 3 = 0 AND (id / 7) %% %s <> id %% %s
            """,  # noqa: S608 - names and defaults from the models
            [tag_ids, len(tag_ids), organization.pk, tag_ids, len(tag_ids), organization.pk, len(tag_ids),
             len(tag_ids)],
        )


def _ensure_data(args):
    from django.db import connection

    from scrm import services
    from scrm.models import Customer, Organization, Role, Tag, TagGroup, User
    from scrm.platform.tenancy import tenant_scope

    orgs = [(BIG_SLUG, args.customers, "+86138")] + [
        (f"bench-other-{n}", args.other_size, f"+8613{n % 10}") for n in range(args.other_orgs)
    ]
    built = False
    for slug, count, prefix in orgs:
        organization = Organization.objects.filter(slug=slug).first() or services.organization_create(
            slug=slug, name=slug)
        with tenant_scope(organization):
            have = Customer.objects.count()
            if have == count:
                continue
            if have:
                sys.exit(f"{slug} has {have} customers, not {count}: drop the bench database and run again")
            group = TagGroup.objects.get_or_create(organization=organization, name="基准")[0]
            tags = [Tag.objects.get_or_create(organization=organization, group=group, name=f"标签{n}")[0]
                    for n in range(TAG_COUNT)]
            started = time.perf_counter()
            _generate(organization, count, tags, prefix)
            print(f"generated {count} customers for {slug} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
            built = True
    if built:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE scrm_customer; ANALYZE scrm_channelidentity; ANALYZE scrm_customertag;")
    big = Organization.objects.get(slug=BIG_SLUG)
    agent = User.all_objects.filter(username="bench-agent").first() or services.user_create(
        organization=big, username="bench-agent", password=None, roles=[Role.AGENT], validate=False)
    return big, agent


def _measure(client, urls):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    latencies, queries, rows = [], [], []
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries.append(len(captured))
        rows.append(response.content.count(b'name="ids"'))
    latencies.sort()
    return {
        "requests": len(urls), "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1), "p99_ms": round(percentile(latencies, 99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1), "queries_min": min(queries), "queries_max": max(queries),
        "rows_per_page_max": max(rows),
    }


def run(args):
    setup_django()
    from django.test import Client

    from scrm.models import Tag
    from scrm.platform.tenancy import tenant_scope

    big, agent = _ensure_data(args)
    with tenant_scope(big):
        tag_ids = list(Tag.objects.values_list("pk", flat=True))
    rng = random.Random(args.seed)
    client = Client()
    client.force_login(agent)
    client.get("/customers/")  # warm the connection, templates and session
    n = args.requests
    cases = {
        "tag_filter": [f"/customers/?tag={rng.choice(tag_ids)}" for _ in range(n)],
        "mobile_search": [f"/customers/?q=138{rng.randint(1, args.customers):08d}" for _ in range(n)],
        "first_page": ["/customers/"] * n,
    }
    results = {name: _measure(client, urls) for name, urls in cases.items()}
    return {"customers": args.customers, "other_orgs": args.other_orgs, "other_size": args.other_size, **results}
