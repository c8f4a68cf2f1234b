"""Writes for teams, users, memberships, API keys and invites."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gather.core.db import hot_cursor
from gather.core.errors import Conflict, InvalidInput, NotFound
from gather.core.models import from_row

from .models import INVITE_LIFETIME, ApiKey, Invite, Membership, Team

KEY_PREFIX = "gth_"
LAST_USED_RESOLUTION = timedelta(seconds=60)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def team_create(*, name: str, owner=None) -> Team:
    name = name.strip()
    if not name:
        raise InvalidInput("A team needs a name.", field="name")
    with transaction.atomic():
        team = Team.objects.create(name=name)
        if owner is not None:
            Membership.objects.create(team=team, user=owner)
    return team


SIGNUP_REFUSED = (
    "We could not create an account with these details. If you have an account, sign in; "
    "to join an existing team, ask one of its members for an invite link."
)


class SignupRefused(Conflict):
    """The email or the team name is taken. One message for both, so that a sign-up does
    not tell which accounts or teams exist (docs/decisions/016-sign-up-races-and-privacy.md)."""

    code = "signup_refused"

    def __init__(self):
        super().__init__(SIGNUP_REFUSED)


def _new_user(*, email: str, password: str):
    User = get_user_model()
    email = email.strip().lower()
    user = User(username=email, email=email)
    # Hashed before the insert is tried: a refusal costs what a success costs.
    user.set_password(password)
    return user


def user_signup(*, email: str, password: str, team_name: str):
    """A new user with a new team they belong to; returns (user, team).

    The database's unique constraints decide: of simultaneous sign-ups with the same
    email or the same team name exactly one commits, the others raise SignupRefused.
    """
    team_name = team_name.strip()
    if not team_name:
        raise InvalidInput("A team needs a name.", field="team")
    user = _new_user(email=email, password=password)
    try:
        with transaction.atomic():
            user.save()
            team = Team.objects.create(name=team_name)
            Membership.objects.create(team=team, user=user)
    except IntegrityError:
        raise SignupRefused() from None
    return user, team


def user_init(*, email: str, password: str, team_name: str | None = None):
    """Create the user and their team if absent (idempotent). Returns (user, team, created)."""
    User = get_user_model()
    email = email.strip().lower()
    if not email or "@" not in email:
        raise InvalidInput("A valid email address is required.", field="email")
    if not password:
        raise InvalidInput("A password is required.", field="password")
    team_name = (team_name or email.split("@", 1)[0]).strip()
    with transaction.atomic():
        user = User.objects.filter(username=email).first()
        created = user is None
        if created:
            user = User.objects.create_user(username=email, email=email, password=password)
        team, _ = Team.objects.get_or_create(name=team_name)
        Membership.objects.get_or_create(team=team, user=user)
    return user, team, created


def apikey_create(*, team: Team, name: str = "", created_by=None) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never retrievable again."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        team=team,
        name=(name or "API key").strip()[:200],
        prefix=secret[: len(KEY_PREFIX) + 6],
        key_hash=sha256_hex(secret),
        created_by=created_by,
    )
    return key, secret


def apikey_authenticate(*, secret: str) -> ApiKey | None:
    """The live key for this secret, or None. Touches last_used_at at most once a minute."""
    if not secret or len(secret) > 200:
        return None
    # On every API request: one indexed lookup, on a plain cursor (the ORM's query
    # compilation was a measurable share of a single-record upsert).
    with hot_cursor() as cur:
        cur.execute(
            "SELECT k.id, k.team_id, k.name, k.prefix, k.last_used_at, t.name"
            " FROM accounts_apikey k JOIN accounts_team t ON t.id = k.team_id"
            " WHERE k.key_hash = %s AND k.revoked_at IS NULL",
            [sha256_hex(secret)],
        )
        row = cur.fetchone()
    if row is None:
        return None
    key = from_row(ApiKey, ["id", "team_id", "name", "prefix", "last_used_at"], row[:5])
    key.team = Team(id=key.team_id, name=row[5])
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def apikey_revoke(*, team: Team, key_id: int) -> ApiKey:
    key = ApiKey.objects.filter(team=team, pk=key_id).first()
    if key is None:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    return key


INVITE_UNUSABLE = "This invite link is invalid, expired, revoked or has already been used."


def usable_invites(*, token: str) -> Q:
    """The invite a link's token names, if it is unused, unrevoked and not expired."""
    return Q(
        token_hash=sha256_hex(token),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        created_at__gt=timezone.now() - INVITE_LIFETIME,
    )


def invite_create(*, team: Team, email: str, invited_by=None) -> tuple[Invite, str]:
    """Create a one-time invite; returns it with the token for the link."""
    email = email.strip().lower()
    if not email or "@" not in email:
        raise InvalidInput("A valid email address is required.", field="email")
    token = secrets.token_urlsafe(24)
    invite = Invite.objects.create(
        team=team, email=email, token_hash=sha256_hex(token), invited_by=invited_by
    )
    return invite, token


def _invite_use(*, token: str, user) -> Team:
    """In the caller's transaction: mark the invite used and add the user to its team."""
    invite = (
        Invite.objects.select_for_update()
        .select_related("team")
        .filter(usable_invites(token=token))
        .first()
    )
    if invite is None:
        raise NotFound(INVITE_UNUSABLE)
    invite.accepted_at = timezone.now()
    invite.save(update_fields=["accepted_at", "updated_at"])
    Membership.objects.get_or_create(team=invite.team, user=user)
    return invite.team


def invite_revoke(*, team: Team, invite_id: int) -> Invite:
    """Make one of the team's unused invites stop working at once."""
    invite = Invite.objects.filter(team=team, pk=invite_id).first()
    if invite is None:
        raise NotFound("No such invite.")
    if invite.revoked_at is None and invite.accepted_at is None:
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at", "updated_at"])
    return invite


def invite_accept(*, token: str, user) -> Team:
    with transaction.atomic():
        return _invite_use(token=token, user=user)


def invite_signup(*, token: str, email: str, password: str):
    """A new user who joins the invite's team, in one transaction; returns (user, team).
    A taken email raises SignupRefused, a used invite NotFound; neither leaves a trace."""
    user = _new_user(email=email, password=password)
    try:
        with transaction.atomic():
            user.save()
            team = _invite_use(token=token, user=user)
    except IntegrityError:
        raise SignupRefused() from None
    return user, team
