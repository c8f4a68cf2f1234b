"""/api/changes: the team's change feed, oldest first, resumable from any change ID."""

from ninja import Query, Router

from gather.api.schemas import ERRORS, ChangeFeed
from gather.changes import selectors as changes
from gather.core.errors import NotFound
from gather.records import selectors as records

router = Router(tags=["Changes"])


@router.get("", response={200: ChangeFeed, **ERRORS})
def change_feed(
    request,
    after: str | None = Query(None, description="A change ID: only changes after it."),
    model: str | None = Query(None, description="Only this model's changes (ID or slug)."),
    limit: str | None = Query(None, description="At most this many changes (1–1000, 100)."),
):
    """The team's committed changes after `after`, oldest first. Store `next_after` and
    ask again with it: every committed change comes exactly once, in commit order."""
    changes.check_query_keys(request.GET, {"after", "model", "limit"})
    team = request.auth.team
    model_ref = None
    if model is not None:
        try:
            model_ref = records.model_get(team=team, ref=model).public_id
        except NotFound:
            if not model.startswith("mdl_"):
                raise
            model_ref = model  # a deleted model's changes stay readable by its ID
    return changes.change_feed(team=team, after=after, model_ref=model_ref, limit=limit)
