from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User

from . import throttle
from .hashing import PasswordCheckBusy

BUSY_MESSAGE = (
    "Many people are signing in at once, so we could not check your password in time. Please try again in a minute."
)


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        wait = throttle.sign_in_wait(username=self.data.get("username", ""), request=self.request)
        if wait:
            raise forms.ValidationError(
                f"Too many failed sign-ins for this account or from your network. Try again in "
                f"{throttle.in_minutes(wait)}, or reset your password.",
                code="throttled",
            )
        try:
            return super().clean()
        except PasswordCheckBusy:  # no failed sign-in either: the password was not checked
            raise forms.ValidationError(BUSY_MESSAGE, code="busy") from None


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=True, help_text="For password resets and course invitations; we send a link to confirm it."
    )
    first_name = forms.CharField(max_length=150, required=False, label="Name shown on certificates")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "first_name")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        # Not checked against other accounts: that would tell anyone which addresses are registered. An
        # address counts only once confirmed, and one confirmed address belongs to one account.
        return self.cleaned_data["email"].strip().lower()
