"""factory_boy factories of the core app; later apps' factories build on these."""

import factory
from django.contrib.auth.models import Group

from scrm.models import AgentProfile, Organization, Region, Skill, Team, User
from scrm.platform.roles import sync_all_role_permissions
from scrm.platform.tenancy import platform_scope

TEST_PASSWORD = "Correct-Horse-2026"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org{n}")
    name = factory.Sequence(lambda n: f"测试企业{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    organization = factory.SubFactory(OrganizationFactory)
    password = factory.django.Password(TEST_PASSWORD)

    @classmethod
    def _generate(cls, strategy, params):
        # User is a tenant model: a test's setup writes users of any organization (and operators) as platform code.
        with platform_scope():
            return super()._generate(strategy, params)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        if Group.objects.filter(name__in=[str(r) for r in extracted]).count() < len(set(extracted)):
            # A transactional test before this one truncated the groups the data migrations made.
            sync_all_role_permissions()
        self.groups.set(Group.objects.filter(name__in=[str(r) for r in extracted]))
        if "ops_admin" in [str(r) for r in extracted]:
            self.is_staff = True
            self.save(update_fields=["is_staff"])


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"大区{n}")
    code = factory.Sequence(lambda n: f"R{n}")
    level = Region.Level.AREA
    path = factory.LazyAttribute(lambda r: f"/{r.code}/")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"售后{n}组")
    code = factory.Sequence(lambda n: f"T{n}")


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"技能{n}")


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory)
    organization = factory.SelfAttribute("user.organization")
    team = factory.SubFactory(TeamFactory, organization=factory.SelfAttribute("..organization"))
