from django import forms
from django.contrib.auth.password_validation import validate_password


class SignupForm(forms.Form):
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)
    team = forms.CharField(max_length=200, help_text="Your company or team name.")

    def __init__(self, *args, invite: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if invite:
            del self.fields["team"]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password

    def clean_team(self):
        # Whether the name is taken is decided when the team is created (in one
        # transaction with the user), with one message for a taken email or team.
        return self.cleaned_data["team"].strip()


class ModelForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")
    type = forms.ChoiceField(choices=[("custom", "Custom")], label="Model Type", initial="custom")
    id_field = forms.CharField(
        max_length=200,
        label="ID Field",
        initial="id",
        help_text="The field of each record that identifies it, e.g. id or order_number.",
    )


class RenameForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=200, label="Key name", help_text="Where the key is used, e.g. backend-prod."
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")


class RetentionForm(forms.Form):
    retention_days = forms.IntegerField(
        min_value=0,
        max_value=36_500,
        label="Keep record history for (days)",
        help_text="0 keeps it forever. Older changes are deleted every hour.",
    )
