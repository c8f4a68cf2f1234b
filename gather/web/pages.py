"""HTML request handlers: parse input, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_http_methods

from gather.accounts import services as accounts
from gather.accounts.throttle import Throttled, throttle_check, throttle_clear, throttle_fail
from gather.core.client import client_address
from gather.core.errors import GatherError

from .forms import SignupForm


def signup_keys(request) -> list[str]:
    """Refused sign-ups count per client address and per email tried."""
    email = request.POST.get("email", "").strip().lower()
    return [client_address(request), f"email:{email}" if email else ""]


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "not_found", "message": f"No API endpoint at {request.path}."}},
            status=404,
        )
    return render(request, "web/404.html", status=404)


def favicon(request):
    """Browsers ask for /favicon.ico where a page names no icon (JSON, downloads)."""
    return redirect(static("gather/favicon.svg"))


def home(request):
    if request.user.is_authenticated:
        return redirect("/views")
    return redirect("login")


def throttled(request, exc: Throttled):
    """The page for an attempt refused by the throttle: the wait, in words."""
    response = render(request, "web/throttled.html", {"message": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


class SignInView(LoginView):
    """Django's sign-in, throttled per account and per client address (decision 015).
    An unknown email counts like a known one, so a refusal tells nothing about accounts."""

    template_name = "web/login.html"
    authentication_form = AuthenticationForm
    redirect_authenticated_user = True

    def _keys(self) -> list[str]:
        account = self.request.POST.get("username", "").strip().lower()
        return [f"account:{account}" if account else "", client_address(self.request)]

    def post(self, request, *args, **kwargs):
        try:
            throttle_check(scope="login", keys=self._keys())
        except Throttled as exc:
            return throttled(request, exc)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle_fail(scope="login", keys=self._keys())
        return super().form_invalid(form)

    def form_valid(self, form):
        throttle_clear(scope="login", keys=self._keys()[:1])
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        keys = signup_keys(request)
        try:
            throttle_check(scope="signup", keys=keys)
        except Throttled as exc:
            return throttled(request, exc)
    if request.method == "POST" and form.is_valid():
        try:
            user, team = accounts.user_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                team_name=form.cleaned_data["team"],
            )
        except GatherError as exc:
            if isinstance(exc, accounts.SignupRefused):
                throttle_fail(scope="signup", keys=keys)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            login(request, user)
            messages.success(request, f"Welcome to Gather. You are in team {team.name}.")
            return redirect("/settings/team/models")
    return render(request, "web/signup.html", {"form": form})
