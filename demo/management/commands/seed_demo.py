"""Create (or complete) the demo organization: regions, teams, skills and one user per role.

Idempotent: every row is looked up by its natural key first, so running it again changes nothing. Then the demo
data of each app, in order (demo/tickets.py, demo/sla.py, demo/shops.py, demo/statements.py and the statements'
reconciliation, demo/forms.py, demo/channels.py), each through that app's services.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo.channels import demo_accounts, seed_channels
from demo.forms import seed_forms
from demo.partners import seed_partners
from demo.shops import seed_shops
from demo.sla import seed_sla, settle_notifications
from demo.statements import seed_reconciliation, seed_statements
from demo.tickets import seed_tickets
from notifications.models import Notification
from scrm import services
from scrm.customers.services import customer_create, customer_resolve, customers_tag
from scrm.models import Channel, Customer, Organization, Region, Role, Tag, TagGroup, Team, User
from scrm.platform.tenancy import tenant_scope

DEMO_SLUG = "demo"
# The apps' demo data, in the order they build on each other (the SLA applies to the tickets).
SEEDERS = {"tickets": seed_tickets, "sla": seed_sla, "shops": seed_shops, "statements": seed_statements,
           "reconciliation": seed_reconciliation,
           "forms_builder": seed_forms, "partners": seed_partners, "channels_ingest": seed_channels}
DEMO_NAME = "星河家电（演示）"

# (code, name, level, parent code)
REGIONS = [
    ("EAST", "华东大区", Region.Level.AREA, None),
    ("JS", "江苏省", Region.Level.PROVINCE, "EAST"),
    ("JS-NJ", "南京市", Region.Level.CITY, "JS"),
    ("JS-SZ", "苏州市", Region.Level.CITY, "JS"),
    ("ZJ", "浙江省", Region.Level.PROVINCE, "EAST"),
    ("ZJ-HZ", "杭州市", Region.Level.CITY, "ZJ"),
    ("SH", "上海市", Region.Level.PROVINCE, "EAST"),
    ("SH-SH", "上海市辖区", Region.Level.CITY, "SH"),
    ("SOUTH", "华南大区", Region.Level.AREA, None),
    ("GD", "广东省", Region.Level.PROVINCE, "SOUTH"),
    ("GD-GZ", "广州市", Region.Level.CITY, "GD"),
    ("GD-SZ", "深圳市", Region.Level.CITY, "GD"),
    ("NORTH", "华北大区", Region.Level.AREA, None),
    ("BJ", "北京市", Region.Level.PROVINCE, "NORTH"),
    ("BJ-BJ", "北京市辖区", Region.Level.CITY, "BJ"),
]

TEAMS = [
    ("AS", "售后服务部", Team.Kind.AFTER_SALES),
    ("TECH", "技术支持部", Team.Kind.TECHNICAL),
    ("SALES", "销售部", Team.Kind.SALES),
    ("FIN", "财务部", Team.Kind.FINANCE),
    ("WH", "仓储物流部", Team.Kind.WAREHOUSE),
    ("QA", "质检组", Team.Kind.QUALITY),
]

SKILLS = ["安装", "退换货", "退款", "维修", "英语", "大客户"]

# username, display name, roles, team code
USERS = [
    ("ops", "周运营", [Role.OPS_ADMIN], None),
    ("supervisor", "陈主管", [Role.SUPERVISOR], "AS"),
    ("agent", "李客服", [Role.AGENT], "AS"),
    ("agent2", "王客服", [Role.AGENT], "AS"),
    ("agent3", "赵技术", [Role.AGENT], "TECH"),
    ("finance", "刘财务", [Role.FINANCE], "FIN"),
    ("finance2", "郑财务", [Role.FINANCE], "FIN"),  # approves what finance reviewed (two people per payout)
    ("viewer", "孙只读", [Role.VIEWER], None),
]

# username -> (region codes served, skills)
AGENTS = {
    "agent": (["JS", "JS-NJ", "JS-SZ", "SH", "SH-SH"], ["安装", "退换货"]),
    "agent2": (["ZJ", "ZJ-HZ", "GD", "GD-GZ", "GD-SZ"], ["退款", "英语"]),
    "agent3": (["BJ", "BJ-BJ", "EAST"], ["维修", "安装", "大客户"]),
}


TAGS = {
    "消费频次": [("高频", Tag.Color.RED), ("中频", Tag.Color.YELLOW), ("低频", Tag.Color.GREY)],
    "产品偏好": [("空调", Tag.Color.BLUE), ("冰箱", Tag.Color.CYAN), ("洗衣机", Tag.Color.BLUE),
                ("厨电", Tag.Color.GREEN)],
    "服务记录": [("已安装", Tag.Color.GREEN), ("待回访", Tag.Color.YELLOW), ("投诉过", Tag.Color.RED)],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "晨", "浩然", "子涵", "欣怡", "梓轩", "雨桐", "宇航", "思远", "佳琪"]
NICKNAMES = ["阳光", "小确幸", "追风少年", "晴天", "木子", "糖果", "老王", "慢慢来", "向日葵", "清风", "Lucky", "Eric",
             "安静的美男子", "奶茶控", "一只猫", "夏天", "星星", "知足常乐"]
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "186", "187", "188",
                   "189", "199"]
CITY_CODES = ["JS-NJ", "JS-SZ", "ZJ-HZ", "SH-SH", "GD-GZ", "GD-SZ", "BJ-BJ"]
DEMO_CUSTOMERS = 200


class Command(BaseCommand):
    help = "Create or complete the demo organization with realistic Chinese demo data (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=DEMO_SLUG).first()
        if organization is None:
            organization = services.organization_create(slug=DEMO_SLUG, name=DEMO_NAME)
        with tenant_scope(organization):
            first_run = not Notification.objects.exists()
            self._seed(organization)
            for name, seeder in SEEDERS.items():
                seeder(organization=organization)
                self.stdout.write(f"Demo data: {name}")
            if first_run:
                settle_notifications()
        self.stdout.write(self.style.SUCCESS(f"Demo organization '{DEMO_SLUG}' is ready."))
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}): " + ", ".join(u[0] for u in USERS))

    def _seed(self, organization):
        regions = {r.code: r for r in Region.objects.all()}
        for code, name, level, parent_code in REGIONS:
            if code not in regions:
                regions[code] = services.region_create(
                    organization=organization, name=name, code=code, level=level, parent=regions.get(parent_code)
                )
        teams = {t.code: t for t in Team.objects.all()}
        for code, name, kind in TEAMS:
            if code not in teams:
                teams[code] = services.team_create(organization=organization, name=name, code=code, kind=kind)
        skills = {name: services.skill_get_or_create(organization=organization, name=name) for name in SKILLS}

        users = {u.username: u for u in User.objects.all()}
        for username, display_name, roles, _team in USERS:
            if username not in users:
                users[username] = services.user_create(
                    organization=organization, username=username, password=settings.DEMO_PASSWORD, roles=roles,
                    display_name=display_name, email=f"{username}@demo.scrm.local", validate=False,
                )
        # The supervisor leads the QA team too: the reviews of low ratings land in their view and their bell.
        for code in ("AS", "TECH", "QA"):
            if teams[code].leader_id is None:
                teams[code].leader = users["supervisor"]
                teams[code].save(update_fields=["leader"])
        # The supervisor runs the whole country: managing the three areas, they see every region's customers and,
        # in their teams' queues, every region's tickets (supervisors and agents see nothing by a region not theirs).
        for code in ("EAST", "SOUTH", "NORTH"):
            if not services.region_managers(region=regions[code]):
                services.region_set_managers(region=regions[code], managers=[users["supervisor"]])
        for username, (region_codes, skill_names) in AGENTS.items():
            user = users[username]
            if not hasattr(user, "agent_profile"):
                team_code = next(u[3] for u in USERS if u[0] == username)
                services.agent_profile_upsert(
                    user=user, team=teams[team_code], regions=[regions[c] for c in region_codes],
                    skills=[skills[s] for s in skill_names], supervisor=users["supervisor"],
                    status="online",
                )
        self._seed_customers(organization, regions, users)

    def _seed_customers(self, organization, regions, users):
        """About 200 customers from WeChat, WeCom, shops and phone, tagged, some of them likely duplicates."""
        groups = {g.name: g for g in TagGroup.objects.all()}
        tags = {t.name: t for t in Tag.objects.all()}
        for order, (group_name, names) in enumerate(TAGS.items()):
            group = groups.get(group_name) or TagGroup.objects.create(
                organization=organization, name=group_name, sort_order=order)
            for name, color in names:
                if name not in tags:
                    tags[name] = Tag.objects.create(organization=organization, group=group, name=name, color=color)
        if Customer.objects.exists():
            return
        rng = random.Random(2026)  # the same demo every time
        agents = [users[u] for u in ("agent", "agent2", "agent3")]
        # A WeChat customer follows the demo's account of their channel: their tickets are conversations with it.
        app_ids = {channel: account.app_id for channel, account in demo_accounts(organization=organization).items()}
        now = timezone.now()
        for n in range(DEMO_CUSTOMERS):
            real_name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            mobile = f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(10_000_000, 99_999_999)}"
            channel = rng.choice([Channel.WECHAT_OA] * 5 + [Channel.WECOM] * 2 + [Channel.YOUZAN, Channel.DOUYIN,
                                                                                  Channel.PHONE])
            if channel in (Channel.WECHAT_OA, Channel.WECOM):
                external_id = "o" + "".join(rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789_-")
                                            for _ in range(27))
                union_id = "u" + external_id[1:] if rng.random() < 0.6 else None
                nickname = rng.choice(NICKNAMES) + (str(rng.randint(1, 99)) if rng.random() < 0.4 else "")
            else:
                external_id = str(rng.randint(10**9, 10**10))
                union_id, nickname = None, real_name
            customer = customer_resolve(
                organization=organization, channel=channel, app_id=app_ids.get(channel, f"demo-{channel}"),
                external_id=external_id, union_id=union_id, mobile=mobile if rng.random() < 0.8 else None,
                profile={"nickname": nickname},
            )
            first = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440))
            customer.real_name = real_name if rng.random() < 0.7 else ""
            customer.region = regions[rng.choice(CITY_CODES)]
            customer.level = rng.choices(list(Customer.Level), weights=[80, 15, 5])[0]
            customer.owner = rng.choice(agents) if rng.random() < 0.6 else None
            customer.first_contact_at = first
            customer.last_contact_at = first + timedelta(days=rng.randint(0, (now - first).days))
            customer.save(update_fields=["real_name", "region", "level", "owner", "first_contact_at",
                                         "last_contact_at"])
            # Created when they first came: the list, newest first, opens on the latest of two years of customers.
            Customer.objects.filter(pk=customer.pk).update(created_at=first)
            customers_tag(customers=[customer], tags=rng.sample(list(tags.values()), rng.randint(0, 3)))
            if n % 25 == 0:
                # The same person again through the shop, with the same mobile: a merge suggestion for the demo.
                twin = customer_create(
                    organization=organization, display_name=real_name, real_name=real_name,
                    mobile=customer.mobile or mobile, source_channel=Channel.YOUZAN, region=customer.region,
                )
                customers_tag(customers=[twin], tags=[tags["中频"]])
                Customer.objects.filter(pk=twin.pk).update(created_at=first + timedelta(days=rng.randint(0, 30)))
