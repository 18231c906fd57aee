"""Admin forms that keep facility staff inside their own facilities.

Every choice that could reach another facility (the facility itself, an experiment) is narrowed to
the editor's facilities, and people are named by email rather than picked from a list of every
account, so staff never browse the site's users.
"""

from django import forms
from django.core.exceptions import ValidationError
from wagtail.admin.forms import WagtailAdminModelForm

from accounts.selectors import users_with_confirmed_email
from facilities.selectors import facilities_staffed_by, scoped_to_staff


class FacilityScopedForm(WagtailAdminModelForm):
    # field name -> the path from that field's model to its Facility ("" for Facility itself)
    scoped_fields = {"facility": "", "experiment": "facility"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        for name, path in self.scoped_fields.items():
            field = self.fields.get(name)
            if field is None or user is None:
                continue
            if path:
                field.queryset = scoped_to_staff(field.queryset, user, facility_path=path)
            else:
                field.queryset = field.queryset.filter(pk__in=facilities_staffed_by(user))
            if field.queryset.count() == 1 and not self.instance.pk:
                field.initial = field.queryset.get().pk


class PersonByEmailForm(FacilityScopedForm):
    """A user is named by the email of their account (the bulk invitation creates missing accounts)."""

    email = forms.EmailField(help_text="The email address of the person's panlearn account.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.user_id:
            self.fields["email"].initial = self.instance.user.email

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        # Only a confirmed address names a person: sign-up takes any address (accounts.ConfirmedEmail).
        matches = list(users_with_confirmed_email([email]).filter(is_active=True)[:2])
        if not matches:
            raise forms.ValidationError(
                "No account has confirmed this email address: invite the person first (the invitation confirms it)."
            )
        if len(matches) > 1:
            raise forms.ValidationError("Several accounts share this email address; ask an administrator.")
        self.instance.user = matches[0]
        return email

    def _post_clean(self):
        super()._post_clean()
        # `user` is not a form field, so Django skips the constraints that name it: check them here.
        if self.instance.user_id:
            try:
                self.instance.validate_constraints()
            except ValidationError as error:
                self._update_errors(error)
