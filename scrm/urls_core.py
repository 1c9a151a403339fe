from django.urls import path

from scrm import views, views_people, views_roles, views_skills, views_tags
from scrm.customers.urls import urlpatterns as customer_urls

app_name = "scrm"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("reports/", views.ReportsView.as_view(), name="reports"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("settings/roles/", views_roles.RoleListView.as_view(), name="role-list"),
    path("settings/tags/", views_tags.TagListView.as_view(), name="tag-list"),
    path("settings/tags/<int:pk>/", views_tags.TagListView.as_view(), name="tag-edit"),
    path("settings/tags/<int:pk>/delete/", views_tags.TagDeleteView.as_view(), name="tag-delete"),
    path("settings/skills/", views_skills.SkillView.as_view(), name="skill-list"),
    path("settings/skills/<int:pk>/", views_skills.SkillView.as_view(), name="skill-edit"),
    path("settings/skills/<int:pk>/delete/", views_skills.SkillDeleteView.as_view(), name="skill-delete"),
    path("settings/tags/groups/<int:pk>/", views_tags.TagGroupView.as_view(), name="tag-group"),
    path("settings/tags/groups/<int:pk>/delete/", views_tags.TagGroupDeleteView.as_view(), name="tag-group-delete"),
    path("settings/roles/new/", views_roles.RoleFormView.as_view(), name="role-create"),
    path("settings/roles/<int:pk>/", views_roles.RoleFormView.as_view(), name="role-edit"),
    path("settings/roles/<int:pk>/assign/", views_roles.RoleAssignView.as_view(), name="role-assign"),
    path("settings/roles/<int:pk>/unassign/", views_roles.RoleUnassignView.as_view(), name="role-unassign"),
    path("settings/regions/", views_people.RegionListView.as_view(), name="region-list"),
    path("settings/regions/<int:pk>/", views_people.RegionEditView.as_view(), name="region-edit"),
    path("settings/regions/<int:pk>/delete/", views_people.RegionDeleteView.as_view(), name="region-delete"),
    path("settings/teams/", views_people.TeamListView.as_view(), name="team-list"),
    path("settings/teams/<int:pk>/", views_people.TeamEditView.as_view(), name="team-edit"),
    path("settings/teams/<int:pk>/members/add/", views_people.TeamMemberAddView.as_view(), name="team-member-add"),
    path("settings/teams/<int:pk>/members/remove/", views_people.TeamMemberRemoveView.as_view(),
         name="team-member-remove"),
    path("settings/teams/<int:pk>/delete/", views_people.TeamDeleteView.as_view(), name="team-delete"),
    path("settings/users/", views_people.UserListView.as_view(), name="user-list"),
    path("settings/users/new/", views_people.UserCreateView.as_view(), name="user-create"),
    path("settings/users/<int:pk>/", views_people.UserEditView.as_view(), name="user-edit"),
    path("settings/users/<int:pk>/active/", views_people.UserActiveView.as_view(), name="user-active"),
    path("settings/users/<int:pk>/password/", views_people.UserPasswordResetView.as_view(),
         name="user-password-reset"),
    path("settings/agents/", views_people.AgentListView.as_view(), name="agent-list"),
    path("settings/agents/<int:pk>/", views_people.AgentEditView.as_view(), name="agent-edit"),
    path("account/api-token/", views.ApiTokenView.as_view(), name="api-token"),
    *customer_urls,
]
