"""The core app's domain error and its messages (tests import the messages)."""

from django.utils.translation import gettext_lazy as _


class ScrmError(Exception):
    """A rule of the core domain was broken; the message is safe to show to the user."""


MSG_ORG_SLUG_TAKEN = _("An organization with this slug already exists.")
MSG_LANGUAGE_UNKNOWN = _("“%(language)s” is not a language this product offers.")

# What the management commands tell an operator (in the active language); the other apps' commands use these too.
MSG_NO_ORGANIZATION = _("There is no organization with the slug “%(slug)s”.")
MSG_NO_ORGANIZATIONS_YET = _("There is no organization yet.")
MSG_ADMIN_NEEDS_PASSWORD = _("--admin and --password go together: give both or neither.")
MSG_ORGANIZATION_CREATED = _("Created organization %(slug)s (%(name)s).")
MSG_OPS_ADMIN_CREATED = _("Ops admin: %(username)s")
MSG_CUSTOMERS_RENAMED = _("%(count)s customers renamed in %(organization)s.")
MSG_USERNAME_TAKEN = _("This username is already taken.")
# Signing in with `?next=` naming a page the user's role may not open: they land on their own home page instead.
MSG_NEXT_NEEDS_ANOTHER_ROLE = _("The page you were sent to needs another role than yours, so your own home page is "
                                "shown instead. If you need that page, ask your administrator.")
# A platform operator (no organization) signing in, or opening the product's home page.
MSG_PLATFORM_OPERATOR_HOME = _("You are signed in as a platform operator: your work is in the platform console. "
                               "Product pages show one organization's data and are open to its users only.")
MSG_API_TOKEN_NO_ORGANIZATION = _("API tokens belong to users of an organization.")
MSG_API_TOKEN_ISSUED = _("Your new API token is shown below, this once. Copy it now: it cannot be shown again.")
MSG_API_TOKEN_REVOKED = _("Your API token was revoked: calls made with it are refused from now on.")
MSG_REGION_FILTER_OUT_OF_REACH = _("The region parameter takes the id of a region within your reach; %(value)s is not "
                                   "one.")
MSG_REGION_PARENT_OTHER_ORG = _("The parent region belongs to another organization.")
MSG_REGION_CYCLE = _("A region cannot be placed under itself or one of its sub-regions.")
MSG_TEAM_PARENT_OTHER_ORG = _("The parent team belongs to another organization.")
MSG_TEAM_CYCLE = _("A team cannot be placed under itself or one of its sub-teams.")
MSG_REGION_LEVEL_ORDER = _("A sub-region must be one level below its parent (area → province → city).")

MSG_MERGE_SELF = _("A customer cannot be merged into itself.")
MSG_MERGE_OTHER_ORG = _("Both customers must belong to the same organization.")
MSG_MERGE_ALREADY = _("This customer has already been merged into another one.")
MSG_UNKNOWN_TAG = _("Unknown tag: %(name)s.")
MSG_REVEAL_FORBIDDEN = _("Your role may not see customers' personal data.")
MSG_SEGMENT_NAME_TAKEN = _("A segment with this name already exists.")
MSG_SEGMENT_NAME_REQUIRED = _("Give the segment a name.")
MSG_SEGMENT_SAVED = _("Segment “%(name)s” saved: it lists the customers matching this filter, counted afresh.")
MSG_OWNER_NOT_ALLOWED = _("%(name)s may not own customers: choose someone whose role works customers.")
MSG_BULK_DONE = _("%(count)s customers updated.")
MSG_MERGED = _("%(duplicate)s was merged into %(primary)s.")
MSG_MERGE_UNDONE = _("The merge was undone: %(duplicate)s is a customer of its own again.")
MSG_UNDO_DONE_ALREADY = _("This merge has already been undone.")
MSG_UNDO_TOO_LATE = _("A merge can be undone within %(days)s days; this one was made on %(date)s.")
MSG_UNDO_NO_RECORD = _("This merge was made before merges could be undone: it did not record which rows moved.")
MSG_UNDO_PRIMARY_MERGED = _("%(primary)s has since been merged into %(other)s. Undo that merge first.")
MSG_UNDO_ROWS_CHANGED = _("The merge cannot be undone: %(count)s of the rows it moved (%(what)s) now belong to "
                          "another customer.")
MSG_TOMBSTONE_READ_ONLY = _("This customer was merged into another one and can no longer be changed.")
MSG_REGION_MANAGER_NOT_SUPERVISOR = _("Only supervisors of this organization can manage a region.")
MSG_ORGANIZATION_SUSPENDED = _(
    "Your organization's account is suspended: its users cannot sign in or use SCRM until the platform resumes it. "
    "Please contact the platform operator."
)

MSG_ROLE_NAME_TAKEN = _("A role with this name already exists.")
MSG_ROLE_NAME_PRESET = _("This name belongs to a preset role.")
MSG_ROLE_UNKNOWN_MODULE = _("Unknown module: %(name)s.")
MSG_ROLE_NOT_GRANTABLE = _("A custom role cannot grant “%(name)s”.")
MSG_ROLE_OTHER_ORG = _("The role and the user must belong to the same organization.")
MSG_ROLE_INACTIVE = _("A deactivated role cannot be assigned.")
MSG_ROLE_SAVED = _("Role “%(name)s” saved.")
MSG_ROLE_ASSIGNED = _("%(user)s now holds “%(name)s”.")
MSG_ROLE_UNASSIGNED = _("%(user)s no longer holds “%(name)s”.")
