"""The core app's tables: people and places (people.py), customers (customers.py), imports and exports
(imports.py), and the platform's own audit (platform.py)."""

from scrm.models.customers import (
    Channel,
    ChannelIdentity,
    Customer,
    CustomerConflict,
    CustomerMerge,
    CustomerTag,
    PiiReveal,
    Segment,
    Tag,
    TagGroup,
)
from scrm.models.imports import CustomerExport, CustomerImport, CustomerImportChange, CustomerImportRowError
from scrm.models.people import (
    AgentProfile,
    Organization,
    OrganizationStatusChange,
    Region,
    RegionGroupObjectPermission,
    RegionUserObjectPermission,
    Role,
    Skill,
    Team,
    User,
)
from scrm.models.platform import PlatformAudit
from scrm.models.roles import (
    CustomRole,
    CustomRoleAssignment,
    CustomRoleChange,
    CustomRolePermission,
    DataScope,
    MaskedField,
)
from scrm.models.settings_audit import SettingsChange

__all__ = [
    "AgentProfile", "Channel", "ChannelIdentity", "Customer", "CustomerConflict", "CustomerExport", "CustomerImport",
    "CustomerImportChange", "CustomRole", "CustomRoleAssignment", "CustomRoleChange", "CustomRolePermission",
    "DataScope", "MaskedField", "CustomerImportRowError", "CustomerMerge", "CustomerTag", "Organization",
    "OrganizationStatusChange", "PlatformAudit", "SettingsChange",
    "PiiReveal", "Region", "RegionGroupObjectPermission", "RegionUserObjectPermission",
    "Role", "Segment", "Skill", "Tag", "TagGroup", "Team", "User",
]
