from django import forms

from facilities.selectors import facilities_staffed_by

from .parsing import OPTIONAL, REQUIRED


class UploadForm(forms.Form):
    facility = forms.ModelChoiceField(queryset=None, empty_label=None)
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8, comma or semicolon separated. First line: {', '.join(REQUIRED)} "
        f"(optional: {', '.join(OPTIONAL)}). Nothing is imported before you confirm.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities_staffed_by(user)
