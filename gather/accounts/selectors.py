"""Reads for teams, memberships and API keys."""

from .models import ApiKey, Invite, Membership, Team
from .services import usable_invites


def team_for_user(*, user, team_id: int | None = None) -> Team | None:
    """The user's current team: the one asked for if they belong to it, else their first."""
    memberships = Membership.objects.filter(user=user).select_related("team").order_by("id")
    if team_id is not None:
        chosen = memberships.filter(team_id=team_id).first()
        if chosen:
            return chosen.team
    first = memberships.first()
    return first.team if first else None


def teams_for_user(*, user) -> list[Team]:
    return [m.team for m in Membership.objects.filter(user=user).select_related("team")]


def team_members(*, team: Team):
    return Membership.objects.filter(team=team).select_related("user").order_by("created_at")


def apikey_list(*, team: Team):
    return ApiKey.objects.filter(team=team).order_by("-created_at")


def team_by_name(*, name: str) -> Team | None:
    return Team.objects.filter(name=name).first()


def invite_list(*, team: Team):
    return Invite.objects.filter(team=team).order_by("-created_at")


def invite_pending(*, token: str) -> Invite | None:
    """The usable invite behind a link's token (unused, unrevoked, unexpired), or None."""
    return Invite.objects.select_related("team").filter(usable_invites(token=token)).first()


def invite_get(*, team: Team, invite_id: int) -> Invite | None:
    """One of the team's invites; another team's is None, as if it did not exist."""
    return Invite.objects.filter(team=team, pk=invite_id).first()


def apikey_get(*, team: Team, key_id: int) -> ApiKey | None:
    """One of the team's keys; another team's key is None, as if it did not exist."""
    return ApiKey.objects.filter(team=team, pk=key_id).first()
