from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from gather.core.models import TimestampedModel


class Team(TimestampedModel):
    name = models.CharField(max_length=200, unique=True)

    def __str__(self) -> str:
        return self.name


class Membership(TimestampedModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_team_user_uniq")
        ]


class ApiKey(TimestampedModel):
    """An API key; only its SHA-256 is stored. The secret is shown once at creation."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


INVITE_LIFETIME = timedelta(days=7)


class Invite(TimestampedModel):
    """A one-time link that lets the holder join a team, for INVITE_LIFETIME unless revoked."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @property
    def expires_at(self):
        return self.created_at + INVITE_LIFETIME

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "pending"


class ThrottleFailure(models.Model):
    """One failed attempt under one key (an account or a client address, hashed), kept
    for the throttle's window when Redis is not configured (gather.accounts.throttle)."""

    key_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key_hash", "at"], name="throttle_key_at"),
            models.Index(fields=["at"], name="throttle_at"),
        ]

    def __str__(self) -> str:
        return f"failure {self.key_hash[:8]}… at {self.at:%Y-%m-%d %H:%M:%S}"
