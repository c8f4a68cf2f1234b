from django.db import models

from gather.accounts.models import Team
from gather.core.ids import public_id
from gather.core.models import TimestampedModel
from gather.records.models import DataModel


def new_view_id() -> str:
    return public_id("view_", 16)


class SavedView(TimestampedModel):
    """A saved records view: a model plus a query (filter, sort, search) and columns.

    ``filter`` and ``sort`` hold the JSON form of the query language (as in
    ``POST .../records/query``); ``columns`` the visible column paths in order, empty
    meaning every column of the model.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="views")
    public_id = models.CharField(max_length=32, unique=True, default=new_view_id)
    name = models.CharField(max_length=200)
    model = models.ForeignKey(DataModel, on_delete=models.CASCADE, related_name="views")
    filter = models.JSONField(default=list)
    sort = models.JSONField(default=list)
    q = models.TextField(blank=True, default="")
    columns = models.JSONField(default=list)

    class Meta:
        db_table = "gather_view"
        indexes = [models.Index(fields=["team", "name"], name="view_team_name_idx")]

    def __str__(self) -> str:
        return self.name
