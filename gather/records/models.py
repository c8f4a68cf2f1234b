from django.db import models

from gather.accounts.models import Team
from gather.core.ids import public_id
from gather.core.models import TimestampedModel


def new_model_id() -> str:
    return public_id("mdl_", 20)


class FieldType(models.TextChoices):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    OBJECT = "object"


class DataModel(TimestampedModel):
    """A team's data model: a named collection of records keyed by ``id_field``."""

    TYPE_CUSTOM = "custom"
    TYPE_ACCOUNT = "account"
    TYPE_USER = "user"
    # Every team has one model of each standard type (renamable, never deleted).
    STANDARD_TYPES = (TYPE_ACCOUNT, TYPE_USER)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="data_models")
    public_id = models.CharField(max_length=32, unique=True, default=new_model_id)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    type = models.CharField(max_length=32, default=TYPE_CUSTOM)
    id_field = models.CharField(max_length=200)
    # Bumped whenever what a write or a query derives from the model changes (a field's
    # hand-set type, the ID field, a connector joining data to it). Every records request
    # reads the model row anyway, so processes cache the derived parts per revision.
    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "gather_model"
        constraints = [
            models.UniqueConstraint(fields=["team", "slug"], name="model_team_slug_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class Field(TimestampedModel):
    """One entry of a model's field catalogue, with its inferred (or user-set) type."""

    model = models.ForeignKey(DataModel, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=FieldType.choices, default=FieldType.STRING)
    type_locked = models.BooleanField(default=False)

    class Meta:
        db_table = "gather_field"
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="field_model_name_uniq"),
        ]


class Link(TimestampedModel):
    """A model's field holding the ID of a record of another model of the same team.

    The linked record is joined under ``name`` (record JSON, query paths ``name.field``);
    the target model lists the linking records as related records.
    """

    model = models.ForeignKey(DataModel, on_delete=models.CASCADE, related_name="links")
    field = models.CharField(max_length=200)
    target = models.ForeignKey(DataModel, on_delete=models.CASCADE, related_name="incoming_links")
    name = models.CharField(max_length=200)

    class Meta:
        db_table = "gather_link"
        constraints = [
            models.UniqueConstraint(fields=["model", "field"], name="link_model_field_uniq"),
            models.UniqueConstraint(fields=["model", "name"], name="link_model_name_uniq"),
        ]


class Rollup(TimestampedModel):
    """An aggregate, on ``model``'s records, over the ``source`` records whose ``link``
    names them (Account.revenue = sum of Orders.amount through Orders' ``account``)."""

    FUNCTIONS = ("count", "sum", "min", "max", "avg")

    model = models.ForeignKey(DataModel, on_delete=models.CASCADE, related_name="rollups")
    name = models.CharField(max_length=200)
    source = models.ForeignKey(DataModel, on_delete=models.CASCADE, related_name="rollups_fed")
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="rollups")
    fn = models.CharField(max_length=8)
    field = models.CharField(max_length=200, blank=True)  # empty for count

    class Meta:
        db_table = "gather_rollup"
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="rollup_model_name_uniq"),
        ]


class RollupValue(models.Model):
    """A record's rollup values by name, kept exact on every write of their sources;
    keyed by the record's key, so values wait for a record that arrives later."""

    model = models.ForeignKey(DataModel, on_delete=models.CASCADE, db_index=False)
    key = models.TextField()
    data = models.JSONField()

    class Meta:
        db_table = "gather_rollup_value"
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="rollup_value_model_key_uniq"),
        ]

    def __str__(self) -> str:
        return self.key


class Record(models.Model):
    """A record: a JSON object, keyed by the text of its model's ID field."""

    # No index of its own: the two below lead with the model (one B-tree less per write).
    model = models.ForeignKey(
        DataModel, on_delete=models.CASCADE, related_name="records", db_index=False
    )
    key = models.TextField()
    data = models.JSONField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "gather_record"
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="record_model_key_uniq"),
        ]
        indexes = [
            # newest first, the default order of every list and its keyset cursor, read
            # backwards: ascending, new records land at its right edge (a descending
            # index takes them at the left and splits pages in half: 3.5x the size)
            models.Index(fields=["model", "id"], name="record_model_id"),
        ]

    def __str__(self) -> str:
        return self.key
