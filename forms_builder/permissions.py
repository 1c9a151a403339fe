"""Who may do what with forms: one rule per action, read by the pages (and the tickets app's panels)."""

from scrm.models import MaskedField
from scrm.platform.access import user_can_use_module, user_masks


def may_view_forms(user):
    return user.has_perm("forms_builder.view_form")


def may_read_forms_module(user):
    """The forms module's lists (forms, every submission of a form, exports), on the pages and through the API:
    its readers (ops admins, supervisors, a custom role opening the module) holding the right. An agent or a viewer
    reads a submission only beside its customer or ticket (the customer timeline, the ticket's panel)."""
    return user_can_use_module(user, "forms") and may_view_forms(user)


def may_edit_forms(user):
    """Build, change and publish forms: ops admins (and a custom role granted the right)."""
    return user.has_perm("forms_builder.change_form") and user.has_perm("forms_builder.add_formversion")


def may_view_submissions(user):
    return user.has_perm("forms_builder.view_formsubmission")


def may_edit_submissions(user):
    """Change a sent submission's answers (ops admins): the same model permission the API and admin use."""
    return user.has_perm("forms_builder.view_formsubmission") and user.has_perm("forms_builder.change_formsubmission")


def masks_mobiles(user):
    """Whether the answers to mobile fields reach `user` masked (138****5678) on the pages, in the exports and in
    the API: the masking rule of the customer pages (scrm.platform.access.user_masks), so that a submission never
    shows a number its customer's page would hide."""
    return user_masks(user, MaskedField.MOBILE)
