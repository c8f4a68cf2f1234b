"""Connections to third parties, their background tasks and the inbox of their events."""

from django.db import models

from gather.accounts.models import Team
from gather.core.ids import public_id
from gather.core.models import TimestampedModel
from gather.records.models import DataModel


def new_integration_id() -> str:
    return public_id("int_", 24)


def new_task_id() -> str:
    return public_id("tsk_", 20)


class Integration(TimestampedModel):
    """A team's connection to one third-party account (e.g. a Stripe account)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="integrations")
    public_id = models.CharField(max_length=40, unique=True, default=new_integration_id)
    type = models.CharField(max_length=32)  # registry key, e.g. "stripe"; never renamed
    secret_encrypted = models.TextField()  # Fernet token of the API key; never shown again
    key_hint = models.CharField(max_length=40)  # e.g. "sk_test_…abcd"
    account = models.CharField(max_length=200, blank=True, default="")
    # A signing secret the user pasted for an endpoint they created themselves.
    webhook_secret_encrypted = models.TextField(blank=True, default="")

    class Meta:
        db_table = "gather_integration"

    def __str__(self) -> str:
        return f"{self.type} {self.key_hint}"


class TaskStatus(models.TextChoices):
    PENDING = "pending"
    BACKFILLING = "backfilling"
    LIVE = "live"
    ERROR = "error"
    PAUSED = "paused"


class IntegrationTask(TimestampedModel):
    """A background job of an integration, e.g. Sync Stripe Charges into a model.

    ``state`` is the stream's small cursor dict (checkpointed with every page written);
    ``runner``/``lease_until`` make sure one worker at a time runs it, and let another
    take over when a worker dies; ``generation`` changes on a re-sync so that a runner of
    the previous generation stops at its next checkpoint.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="tasks")
    public_id = models.CharField(max_length=40, unique=True, default=new_task_id)
    type = models.CharField(max_length=64)  # registry key, e.g. "sync_stripe_charges"
    options = models.JSONField(default=dict)
    model = models.ForeignKey(
        DataModel, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default="pending")
    state = models.JSONField(default=dict)
    progress = models.JSONField(default=dict)
    error = models.TextField(blank=True, default="")
    attempts = models.IntegerField(default=0)  # consecutive failed runs (transient errors)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    generation = models.IntegerField(default=1)
    runner = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    # How the task is kept current after the backfill (webhook endpoint, polling notes).
    webhook_endpoint_id = models.CharField(max_length=100, blank=True, default="")
    webhook_secret_encrypted = models.TextField(blank=True, default="")
    keep_current = models.JSONField(default=dict)
    # Events polling: {"since": unix seconds, "error": text of the last failure or absent}.
    poll_state = models.JSONField(default=dict)
    last_polled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "gather_integration_task"
        indexes = [models.Index(fields=["status"], name="integration_task_status_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"


class InboxEvent(models.Model):
    """Every third-party event, stored before it is acted on (unique per integration)."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=100)
    event_created = models.BigIntegerField()  # the provider's timestamp (unix seconds)
    source = models.CharField(max_length=16)  # "webhook" or "poll"
    payload = models.TextField()  # the raw body as received
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.IntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "gather_integration_event"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "event_id"], name="integration_event_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["integration", "processed_at"], name="integration_event_todo_idx")
        ]

    def __str__(self) -> str:
        return self.event_id
