"""Forms of the roles page: a custom role, and giving it to a user."""

from django import forms
from django.utils.translation import gettext_lazy as _

from scrm.models import DataScope, MaskedField, User
from scrm.platform.navigation import NAV_ITEMS
from scrm.selectors import permission_groups


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    modules = forms.MultipleChoiceField(label=_("Modules it may open"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    permissions = forms.MultipleChoiceField(label=_("What it may do"), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    data_scope = forms.ChoiceField(label=_("Data scope"), choices=DataScope.choices, widget=forms.RadioSelect,
                                   initial=DataScope.OWN,
                                   help_text=_("Which tickets and customers it shows. A user holding several "
                                               "roles sees what any of them shows."))
    masked_fields = forms.MultipleChoiceField(
        label=_("Masked fields"), choices=MaskedField.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Shown masked to its holders whatever their other roles allow."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True,
                                   help_text=_("A deactivated role grants nothing; its holders keep it."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["modules"].choices = [(item.module, item.label) for item in NAV_ITEMS]
        self.permission_groups = permission_groups()
        self.fields["permissions"].choices = [choice for _label, choices in self.permission_groups
                                              for choice in choices]

    def grouped_permissions(self):
        """[(group label, [(value, label, checked), ...])] for the template's grouped checkboxes."""
        selected = set(self["permissions"].value() or ())
        return [(label, [(value, text, value in selected) for value, text in choices])
                for label, choices in self.permission_groups]


class RoleAssignForm(forms.Form):
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.none(),
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


class RoleUnassignForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
