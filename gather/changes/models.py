from django.db import models

from gather.accounts.models import Team

RETENTION_DAYS_DEFAULT = 90


class ChangeTeam(models.Model):
    """A team's change log settings and its change counter.

    ``last_seq`` is the sequence number of the team's newest change. A write takes its
    numbers by incrementing it as the last statement before its commit: the row lock makes
    the team's writers commit in the order of their numbers (decision 025).
    """

    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, primary_key=True, related_name="change_settings"
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    retention_days = models.PositiveIntegerField(default=RETENTION_DAYS_DEFAULT)

    class Meta:
        db_table = "gather_change_team"

    def __str__(self) -> str:
        return f"team {self.team_id}: change {self.last_seq}"


class Change(models.Model):
    """One committed change of a record (or a whole model's deletion).

    The model is kept by its public ID, not a foreign key: history outlives the records and
    the model it describes until retention deletes it.
    """

    CREATED = "record.created"
    UPDATED = "record.updated"
    DELETED = "record.deleted"
    MODEL_DELETED = "model.deleted"

    # The team's number is the key: no surrogate key and its index to maintain per change.
    pk = models.CompositePrimaryKey("team", "seq")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, db_index=False)
    seq = models.BigIntegerField()
    type = models.CharField(max_length=16)
    model_ref = models.CharField(max_length=32)
    key = models.TextField()  # empty for model.deleted
    changed = models.JSONField()
    source_kind = models.CharField(max_length=16)
    source_id = models.CharField(max_length=255)
    at = models.DateTimeField()

    class Meta:
        db_table = "gather_change"
        indexes = [
            # a record's history, newest first
            models.Index(fields=["model_ref", "key", "seq"], name="change_record_seq"),
            # the feed of one model
            models.Index(fields=["model_ref", "seq"], name="change_model_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.model_ref} {self.key}"
