from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScrmConfig(AppConfig):
    name = "scrm"
    verbose_name = _("People and places")

    def ready(self):
        # Registers the outbox kinds of the core's background jobs (customer imports and exports).
        # Sign-in saves the last sign-in time in the user's own organization scope (User is a tenant model).
        from scrm.auth import connect_signals
        from scrm.customers import jobs  # noqa: F401

        connect_signals()
        self._register_navigation()
        self._register_console()
        self._register_onboarding()

    @staticmethod
    def _register_onboarding():
        from scrm.models import AgentProfile, Region, Team
        from scrm.platform.access import user_configures_regions, user_configures_teams, user_manages_staff
        from scrm.platform.onboarding import OnboardingStep, register_onboarding_step

        register_onboarding_step(OnboardingStep(
            "regions", 10, _("Regions"), _("The regions you serve: tickets, queues and settlement are split by them."),
            "scrm:region-list", lambda: Region.objects.exists(), user_configures_regions))
        register_onboarding_step(OnboardingStep(
            "teams", 20, _("Teams"), _("The teams your agents and supervisors work in."),
            "scrm:team-list", lambda: Team.objects.exists(), user_configures_teams))
        register_onboarding_step(OnboardingStep(
            "people", 30, _("Users"),
            _("An account for each agent, supervisor and finance user, with their role; agents join a team."),
            "scrm:user-list", lambda: AgentProfile.objects.exists(), user_manages_staff))

    @staticmethod
    def _register_navigation():
        from scrm.platform.access import (
            user_configures_agents,
            user_configures_regions,
            user_configures_teams,
            user_manages_staff,
            user_may_manage_roles,
        )
        from scrm.platform.navigation import NavChild, register_nav_children
        from scrm.views_skills import user_configures_skills
        from scrm.views_tags import user_configures_tags

        register_nav_children("settings", [
            NavChild("roles", _("Roles"), "scrm:role-list", "bi-person-badge", user_may_manage_roles),
            NavChild("tags", _("Tags"), "scrm:tag-list", "bi-tags", user_configures_tags),
            NavChild("regions", _("Regions"), "scrm:region-list", "bi-geo-alt", user_configures_regions),
            NavChild("teams", _("Teams"), "scrm:team-list", "bi-diagram-3", user_configures_teams),
            NavChild("users", _("Users"), "scrm:user-list", "bi-person-gear", user_manages_staff),
            NavChild("agents", _("Agents"), "scrm:agent-list", "bi-headset", user_configures_agents),
            NavChild("skills", _("Skills"), "scrm:skill-list", "bi-mortarboard", user_configures_skills),
        ])

    @staticmethod
    def _register_console():
        """The platform console counts the bytes of the customer import and export files kept in storage."""
        from scrm.models import CustomerExport, CustomerImport
        from scrm.platform.console import register_stored_files

        register_stored_files("customer_imports", label=_("Customer import files"), model=CustomerImport,
                              size_field="file_size")
        register_stored_files("customer_exports", label=_("Customer export files"), model=CustomerExport,
                              size_field="file_size")
