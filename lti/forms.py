"""The platform registration form of the admin."""

from django import forms

from .models import Platform


class PlatformForm(forms.ModelForm):
    class Meta:
        model = Platform
        fields = ["name", "issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url", "deployment_ids",
                  "is_active"]  # fmt: skip

    def clean_issuer(self) -> str:
        """One registration per issuer: a second LMS registered under the same issuer could sign launches that
        name the first one's users (its `sub` values), so a shared issuer is refused here."""
        issuer = self.cleaned_data["issuer"]
        if Platform.objects.filter(issuer=issuer).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another LTI platform is registered with this issuer.")
        return issuer
