"""Settings pages: data models, developer (API keys) and team members."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_POST

from gather.accounts import selectors as account_selectors
from gather.accounts import services as account_services
from gather.accounts.throttle import Throttled, throttle_check, throttle_fail
from gather.changes import selectors as change_selectors
from gather.changes import services as change_services
from gather.core.client import client_address
from gather.core.errors import GatherError, NotFound
from gather.integrations import selectors as integration_selectors
from gather.records import links as record_links
from gather.records import rollups as record_rollups
from gather.records import selectors as record_selectors
from gather.records import services as record_services
from gather.records.models import FieldType, Rollup
from gather.views import selectors as view_selectors

from .forms import ApiKeyForm, InviteForm, ModelForm, RenameForm, RetentionForm, SignupForm
from .middleware import SESSION_TEAM
from .pages import signup_keys, throttled


def _shown_once(response):
    """A page showing a new secret (API key, invite link) is the answer to the POST that
    created it: the secret is kept nowhere (not in the session), and no cache stores it."""
    patch_cache_control(response, no_store=True, private=True)
    return response


def _team(request):
    if request.team is None:
        raise Http404("You are not a member of any team.")
    return request.team


def _model(request, model_id: str):
    try:
        return record_selectors.model_get(team=_team(request), ref=model_id)
    except NotFound:
        raise Http404("No such model in this team.") from None


def _apply_error(form, exc: GatherError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def settings_home(request):
    return redirect("settings-models")


@login_required
@require_http_methods(["GET", "POST"])
def models_index(request):
    team = _team(request)
    form = ModelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            model = record_services.model_create(team=team, **form.cleaned_data)
        except GatherError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"Model {model.name} created. Its Model ID is below.")
            return redirect("settings-model", model_id=model.public_id)
    return render(
        request,
        "settings/models.html",
        {"models": record_selectors.model_list(team=team), "form": form, "section": "models"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def model_detail(request, model_id: str):
    team = _team(request)
    model = _model(request, model_id)
    rename = RenameForm(
        request.POST if "rename" in request.POST else None, initial={"name": model.name}
    )
    if request.method == "POST":
        if "rename" in request.POST and rename.is_valid():
            try:
                record_services.model_update(
                    team=team, model=model, name=rename.cleaned_data["name"]
                )
            except GatherError as exc:
                _apply_error(rename, exc)
            else:
                messages.success(request, "Model renamed.")
                return redirect("settings-model", model_id=model.public_id)
        elif _links_and_rollups(request, team, model):
            return redirect("settings-model", model_id=model.public_id)
        elif "field" in request.POST:
            try:
                record_services.field_set_type(
                    team=team,
                    model=model,
                    name=request.POST["field"],
                    type=request.POST.get("type", ""),
                )
            except GatherError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, f"Field {request.POST['field']} is now a {request.POST.get('type')}."
                )
            return redirect("settings-model", model_id=model.public_id)
    models = record_selectors.model_list(team=team)
    names = {m.public_id: m.name for m in models}
    return render(
        request,
        "settings/model.html",
        {
            "model": model,
            "fields": record_selectors.model_fields(model=model),
            "record_count": record_selectors.model_record_count(model=model),
            "types": FieldType.values,
            "links": [
                {**x, "model_name": names.get(x["model"], x["model"])}
                for x in record_links.model_links(model=model)
            ],
            "link_targets": models,
            "rollups": [
                {**x, "model_name": names.get(x["model"], x["model"])}
                for x in record_rollups.model_rollups(model=model)
            ],
            "rollup_sources": record_links.incoming_links(team=team, model=model),
            "rollup_fns": Rollup.FUNCTIONS,
            "rename": rename,
            "section": "models",
            "base_url": settings.PUBLIC_URL,
        },
    )


def _links_and_rollups(request, team, model) -> bool:
    """The model page's link and rollup forms; True when one was posted (and handled)."""
    post = request.POST
    try:
        if "link" in post:
            field = post.get("field", "").strip()
            target = {"model": post.get("target", "")}
            if name := post.get("name", "").strip():
                target["name"] = name
            record_links.model_links_set(team=team, model=model, links={field: target})
            messages.success(request, f"{field} now links to a record of another model.")
        elif "unlink" in post:
            field = post.get("field", "")
            record_links.model_links_set(team=team, model=model, links={field: None})
            messages.success(request, f"{field} no longer links to another model.")
        elif "rollup" in post:
            source, _, link = post.get("source", "").partition(":")
            name = post.get("name", "").strip()
            spec = {"model": source, "link": link, "fn": post.get("fn", "")}
            if spec["fn"] != "count":
                spec["field"] = post.get("field", "").strip()
            record_rollups.model_rollups_set(team=team, model=model, rollups={name: spec})
            messages.success(request, f"Rollup {name} added.")
        elif "unrollup" in post:
            name = post.get("name", "")
            record_rollups.model_rollups_set(team=team, model=model, rollups={name: None})
            messages.success(request, f"Rollup {name} removed.")
        else:
            return False
    except GatherError as exc:
        messages.error(request, exc.message)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def model_delete(request, model_id: str):
    team = _team(request)
    model = _model(request, model_id)
    error = None
    if request.method == "POST":
        if request.POST.get("confirm", "").strip() == model.name:
            try:
                record_services.model_delete(team=team, model=model)
            except GatherError as exc:
                error = exc.message
            else:
                messages.success(request, f"Model {model.name} and its records were deleted.")
                return redirect("settings-models")
        else:
            error = f"Type {model.name} exactly to confirm."
    return render(
        request,
        "settings/model_delete.html",
        {
            "model": model,
            "record_count": record_selectors.model_record_count(model=model),
            "views": view_selectors.view_list_for_model(team=team, model=model),
            "tasks": integration_selectors.task_list_for_model(team=team, model=model),
            "error": error,
            "section": "models",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def developer(request):
    team = _team(request)
    form = ApiKeyForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _, secret = account_services.apikey_create(
            team=team, name=form.cleaned_data["name"], created_by=request.user
        )
        form = ApiKeyForm()
    models = record_selectors.model_list(team=team)
    # The team's own first model, where it has one (the standard ones come first).
    example = next((m for m in models if m.type == "custom"), models[0] if models else None)
    response = render(
        request,
        "settings/developer.html",
        {
            "form": form,
            "secret": secret,
            "keys": account_selectors.apikey_list(team=team),
            "example_model": example.public_id if example else "$MODEL_ID",
            "base_url": settings.PUBLIC_URL,
            "section": "developer",
        },
    )
    return _shown_once(response) if secret else response


@login_required
@require_http_methods(["GET", "POST"])
def apikey_revoke(request, key_id: int):
    team = _team(request)
    key = account_selectors.apikey_get(team=team, key_id=key_id)
    if key is None:
        raise Http404("No such API key in this team.")
    if request.method == "POST":
        account_services.apikey_revoke(team=team, key_id=key.pk)
        messages.success(
            request, f"Key {key.name} ({key.prefix}…) is revoked; it stops working now."
        )
        return redirect("settings-developer")
    return render(request, "settings/apikey_revoke.html", {"key": key, "section": "developer"})


@login_required
@require_http_methods(["GET", "POST"])
def members(request):
    team = _team(request)
    form = InviteForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        try:
            _, token = account_services.invite_create(
                team=team, email=form.cleaned_data["email"], invited_by=request.user
            )
        except GatherError as exc:
            _apply_error(form, exc)
        else:
            link = request.build_absolute_uri(f"/invite/{token}")
            form = InviteForm()
    response = render(
        request,
        "settings/members.html",
        {
            "form": form,
            "link": link,
            "members": account_selectors.team_members(team=team),
            "invites": account_selectors.invite_list(team=team),
            "section": "members",
        },
    )
    return _shown_once(response) if link else response


@login_required
@require_POST
def invite_revoke(request, invite_id: int):
    team = _team(request)
    invite = account_selectors.invite_get(team=team, invite_id=invite_id)
    if invite is None:
        raise Http404("No such invite in this team.")
    account_services.invite_revoke(team=team, invite_id=invite.pk)
    messages.success(
        request, f"The invite for {invite.email} is revoked; its link stops working now."
    )
    return redirect("settings-members")


SWITCH_TARGETS = {"/views": "views", "/settings/team/models": "settings-models"}


@login_required
@require_POST
def switch_team(request):
    try:
        team_id = int(request.POST.get("team", ""))
    except ValueError:
        raise Http404("No such team.") from None
    if not any(t.pk == team_id for t in account_selectors.teams_for_user(user=request.user)):
        raise Http404("No such team.")
    request.session[SESSION_TEAM] = team_id
    # Back to the section the switch was made from (a page of one team's view or model
    # would be another team's 404), never off the site.
    return redirect(SWITCH_TARGETS.get(request.POST.get("next", ""), "settings-models"))


@require_http_methods(["GET", "POST"])
def invite_accept(request, token: str):
    # Unusable links count per client address (decision 015); so do refused sign-ups.
    address = [client_address(request)]
    try:
        throttle_check(scope="invite", keys=address)
        if request.method == "POST" and not request.user.is_authenticated:
            throttle_check(scope="signup", keys=signup_keys(request))
    except Throttled as exc:
        return throttled(request, exc)
    invite = account_selectors.invite_pending(token=token)
    if invite is None:
        throttle_fail(scope="invite", keys=address)
        return render(request, "settings/invite.html", {"invalid": True}, status=404)
    if request.user.is_authenticated:
        if request.method == "POST":
            team = account_services.invite_accept(token=token, user=request.user)
            request.session[SESSION_TEAM] = team.pk
            messages.success(request, f"You joined {team.name}.")
            return redirect("settings-models")
        return render(request, "settings/invite.html", {"invite": invite})
    form = SignupForm(request.POST or None, initial={"email": invite.email}, invite=True)
    if request.method == "POST" and form.is_valid():
        try:
            user, team = account_services.invite_signup(
                token=token,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except NotFound:
            return render(request, "settings/invite.html", {"invalid": True}, status=404)
        except GatherError as exc:
            if isinstance(exc, account_services.SignupRefused):
                throttle_fail(scope="signup", keys=signup_keys(request))
            _apply_error(form, exc)
            return render(request, "settings/invite.html", {"invite": invite, "form": form})
        login(request, user)
        request.session[SESSION_TEAM] = team.pk
        messages.success(request, f"Welcome to Gather. You joined {team.name}.")
        return redirect("settings-models")
    return render(request, "settings/invite.html", {"invite": invite, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def history(request):
    """The team's record history settings: how long changes are kept."""
    team = _team(request)
    form = RetentionForm(
        request.POST or None,
        initial={"retention_days": change_selectors.retention_days(team=team)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            change_services.retention_set(team=team, days=form.cleaned_data["retention_days"])
        except GatherError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "History retention saved.")
            return redirect("settings-history")
    return render(request, "settings/history.html", {"form": form, "section": "history"})
