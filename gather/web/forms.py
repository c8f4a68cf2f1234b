from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password

from gather.accounts.models import Team


class SignupForm(forms.Form):
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)
    team = forms.CharField(max_length=200, help_text="Your company or team name.")

    def __init__(self, *args, invite: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if invite:
            del self.fields["team"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(username=email).exists():
            raise forms.ValidationError("An account with this email exists; sign in instead.")
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password

    def clean_team(self):
        name = self.cleaned_data["team"].strip()
        if Team.objects.filter(name=name).exists():
            raise forms.ValidationError(
                "This team exists already; ask one of its members for an invite link."
            )
        return name


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
