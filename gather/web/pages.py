"""HTML request handlers: parse input, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from gather.accounts import services as accounts
from gather.core.errors import GatherError

from .forms import SignupForm


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "not_found", "message": f"No API endpoint at {request.path}."}},
            status=404,
        )
    return render(request, "web/404.html", status=404)


def home(request):
    if request.user.is_authenticated:
        return redirect("/views")
    return redirect("login")


class SignInView(LoginView):
    template_name = "web/login.html"
    authentication_form = AuthenticationForm
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, team = accounts.user_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                team_name=form.cleaned_data["team"],
            )
        except GatherError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            login(request, user)
            messages.success(request, f"Welcome to Gather. You are in team {team.name}.")
            return redirect("/settings/team/models")
    return render(request, "web/signup.html", {"form": form})
