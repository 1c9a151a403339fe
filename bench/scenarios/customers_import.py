"""Customer import: check, apply and undo a generated file of --rows rows (default 100,000) through the services.

The phases run here exactly as the worker runs them (scrm.tasks calls the same services), one after the other, so
each is timed alone: upload (what the request does: read, detect, count), check (validate), apply (one transaction),
undo (one transaction). The organization is a fresh one per run and is deleted at the end (unless --keep).

The generated file mixes what real files hold: about --existing of its rows match customers already there by mobile
(updates), --identities carry a WeChat openid, --errors have a malformed mobile; every row has two tags, a region and
an owner:

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench .venv/bin/python -m bench customers_import

Tasks the services queue go to an in-memory broker that nobody consumes: this process plays the worker.
"""

import os
import random
import resource
import secrets
import sys
import time

MAX_BENCH_ROWS = 200_000


# A run of seconds: what the tests run (python -m bench customers_import --tiny).
TINY = ("--rows", "200", "--export")


def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=100_000, help=f"data rows in the file (max {MAX_BENCH_ROWS:,})")
    parser.add_argument("--existing", type=float, default=0.10, help="share of rows matching existing customers")
    parser.add_argument("--identities", type=float, default=0.30, help="share of rows with a channel identity")
    parser.add_argument("--errors", type=float, default=0.01, help="share of rows with a malformed mobile")
    parser.add_argument("--encoding", choices=["utf-8-sig", "gbk"], default="utf-8-sig", help="file encoding")
    parser.add_argument("--no-undo", action="store_true", help="skip timing the undo")
    parser.add_argument("--export", action="store_true",
                        help="also time a full CSV export (personal data shown, reveals recorded) and an Excel one "
                             "(masked) of the organization after the apply, as the export worker produces them")
    parser.add_argument("--keep", action="store_true", help="keep the organization and its data afterwards")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (the same file for the same seed)")


def run(args):
    if not 1 <= args.rows <= MAX_BENCH_ROWS:
        raise SystemExit(f"--rows must be within 1..{MAX_BENCH_ROWS:,}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrm.settings")
    os.environ["CELERY_BROKER_URL"] = "memory://"
    # Production-like Django (DEBUG off: no query log growing with every statement); it serves no request here.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bench.django_setup import organization_delete
    from scrm.customers import imports
    from scrm.platform.tenancy import platform_scope, tenant_scope

    organization, user = _organization()
    figures = {"rows": args.rows, "encoding": args.encoding,
               "cache": "redis" if os.environ.get("REDIS_URL") else "file"}
    try:
        with tenant_scope(organization):
            content = _file(organization, args)
            figures["file_mib"] = round(len(content) / 2**20, 2)
            name = "customers.csv"

            started = time.perf_counter()
            batch = imports.customer_import_upload(organization=organization, user=user,
                                                   file=SimpleUploadedFile(name, content))
            figures["upload_s"] = _since(started)
            print(f"uploaded in {figures['upload_s']}s; checking", file=sys.stderr)

            started = time.perf_counter()
            batch = imports.customer_import_validate(batch_id=batch.pk)
            figures.update(_phase("validate", started, args.rows))
            if batch.status != batch.Status.VALIDATED:
                raise SystemExit(f"the check failed: {imports.customer_import_failure(batch)}")
            figures.update(new=batch.new_count, updated=batch.update_count, errors=batch.error_count)
            print(f"checked in {figures['validate_s']}s; applying", file=sys.stderr)

            imports.customer_import_confirm(batch=batch, user=user)
            started = time.perf_counter()
            batch = imports.customer_import_apply(batch_id=batch.pk)
            figures.update(_phase("apply", started, args.rows))
            if batch.status != batch.Status.APPLIED:
                raise SystemExit(f"the apply failed: {imports.customer_import_failure(batch)} {batch.failure_detail}")
            print(f"applied in {figures['apply_s']}s", file=sys.stderr)

            if args.export:
                figures.update(_exports(user))

            if not args.no_undo:
                imports.customer_import_request_undo(batch=batch, user=user)
                started = time.perf_counter()
                batch = imports.customer_import_undo(batch_id=batch.pk)
                figures.update(_phase("undo", started, batch.new_count + batch.update_count))
                if batch.status != batch.Status.UNDONE:
                    raise SystemExit(f"the undo failed: {imports.customer_import_failure(batch)}")
                print(f"undone in {figures['undo_s']}s", file=sys.stderr)
    finally:
        if not args.keep:
            with platform_scope():
                organization_delete(organization)
    figures["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return figures


def _exports(user):
    from scrm.customers import exports

    figures = {}
    customers = exports.customer_export_queryset(user=user)
    figures["export_rows"] = count = customers.count()
    started = time.perf_counter()
    size = sum(len(part) for part in exports.customer_export_csv(
        queryset=customers, user=user, reveal=exports.customer_export_reveals(user)))
    figures.update(_phase("export_csv", started, count), export_csv_mib=round(size / 2**20, 2))
    print(f"CSV export in {figures['export_csv_s']}s", file=sys.stderr)
    if count <= exports.XLSX_MAX_ROWS:
        started = time.perf_counter()
        with exports.customer_export_xlsx(queryset=customers, user=user, reveal=()) as output:
            figures.update(_phase("export_xlsx", started, count), export_xlsx_mib=round(output.seek(0, 2) / 2**20, 2))
        print(f"Excel export in {figures['export_xlsx_s']}s", file=sys.stderr)
    return figures


def _since(started):
    return round(time.perf_counter() - started, 2)


def _phase(name, started, rows):
    seconds = time.perf_counter() - started
    return {f"{name}_s": round(seconds, 2), f"{name}_rows_per_s": round(rows / seconds) if seconds else None}


def _organization():
    from scrm.models import Role
    from scrm.platform.tenancy import platform_scope
    from scrm.services import organization_create, user_create

    slug = f"bench-import-{time.time_ns()}"
    with platform_scope():
        organization = organization_create(slug=slug, name="导入基准")
        user = user_create(organization=organization, username=f"{slug}-ops", password=None, roles=[Role.OPS_ADMIN])
    return organization, user


def _file(organization, args):
    """The CSV, with the tags, regions, owners and existing customers it refers to created first."""
    from scrm.models import Channel, ChannelIdentity, Customer, Region, Role, Tag, TagGroup
    from scrm.services import user_create

    rng = random.Random(args.seed)
    group = TagGroup.objects.create(organization=organization, name="基准")
    tags = [Tag.objects.create(organization=organization, group=group, name=f"标签{i}").name for i in range(20)]
    regions = [Region.objects.create(organization=organization, name=f"区域{i}", code=f"R{i}",
                                     level=Region.Level.AREA, path=f"/R{i}/").code for i in range(10)]
    # Owners must be people who may own customers (the import refuses anyone else, as the customer page does).
    owners = [user_create(organization=organization, username=f"{organization.slug}-{i}"[:150], password=None,
                          roles=[Role.AGENT]).username
              for i in range(5)]

    # Distinct valid mobiles: 138 or 139 followed by 8 digits drawn without repetition.
    suffixes = rng.sample(range(10**8), args.rows)
    mobiles = [f"1{38 + (i % 2)}{s:08d}" for i, s in enumerate(suffixes)]
    existing = int(args.rows * args.existing)
    Customer.objects.bulk_create(
        [Customer(organization=organization, display_name=f"老客户{i}", mobile=f"+86{mobiles[i]}")
         for i in range(existing)], batch_size=2000)
    # A few of the existing customers are known by an identity too, and the file names it again.
    known = Customer.objects.filter(organization=organization).order_by("pk")[: existing // 10]
    ChannelIdentity.objects.bulk_create(
        [ChannelIdentity(organization=organization, customer=c, channel=Channel.WECHAT_OA, external_id=f"oOLD{i}")
         for i, c in enumerate(known)], batch_size=2000)

    lines = ["姓名,真实姓名,手机,邮箱,区域编码,等级,标签,负责人,备注,渠道,外部ID"]
    levels = ["普通", "VIP", "SVIP", ""]
    for i in range(args.rows):
        mobile = "12345" if rng.random() < args.errors else mobiles[i]
        identity = ""
        if i < existing // 10:
            identity = f"公众号,oOLD{i}"
        elif rng.random() < args.identities:
            identity = f"wechat_oa,oNEW{i}"
        lines.append(",".join([
            f"客户{i}", f"张{i % 1000}", mobile, f"c{i}@example.com" if i % 3 == 0 else "", rng.choice(regions),
            rng.choice(levels), "、".join(rng.sample(tags, 2)), rng.choice(owners), "基准导入",
            identity or ",",
        ]))
    return ("\r\n".join(lines) + "\r\n").encode(args.encoding)
