"""Reading the change log: a record's history and the team's change feed."""

from gather.accounts.models import Team
from gather.core.errors import InvalidInput
from gather.core.timestamps import rfc3339

from .models import Change, ChangeTeam

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_ID_DIGITS = 16


def change_id(seq: int) -> str:
    """A team's change IDs sort as text in the order of their numbers (commit order)."""
    return f"chg_{seq:0{_ID_DIGITS}d}"


def parse_change_id(value: str, *, field: str) -> int:
    digits = value[4:] if value.startswith("chg_") else ""
    if not (digits.isascii() and digits.isdigit() and len(digits) == _ID_DIGITS):
        raise InvalidInput(f"{value[:80]!r} is not a change ID (chg_…).", field=field)
    return int(digits)


def parse_limit(limit, *, default: int = DEFAULT_LIMIT) -> int:
    if limit is None or limit == "":
        return default
    if isinstance(limit, str):
        if not (limit.isascii() and limit.isdigit()):
            raise InvalidInput("limit must be a whole number from 1 to 1000.", field="limit")
        limit = int(limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit must be a whole number from 1 to 1000.", field="limit")
    return limit


def check_query_keys(params, allowed: set[str]) -> None:
    """Unknown query parameters are refused (as every API list does), not ignored."""
    unknown = set(params) - allowed
    if unknown:
        names = ", ".join(sorted(name[:80] for name in unknown))
        raise InvalidInput(f"Unknown query keys: {names}.", field=min(unknown)[:80])


def change_out(change: Change) -> dict:
    return {
        "id": change_id(change.seq),
        "type": change.type,
        "model": change.model_ref,
        "record": None if change.type == Change.MODEL_DELETED else change.key,
        "changed": change.changed,
        "source": {"kind": change.source_kind, "id": change.source_id},
        "at": rfc3339(change.at),
    }


def record_history(
    *, team: Team, model_ref: str, key: str, limit=None, cursor: str | None = None
) -> dict:
    """A record's changes, newest first; ``cursor`` is the last change ID of a page."""
    limit = parse_limit(limit)
    qs = Change.objects.filter(team=team, model_ref=model_ref, key=key).exclude(
        type=Change.MODEL_DELETED
    )
    if cursor:
        qs = qs.filter(seq__lt=parse_change_id(cursor, field="cursor"))
    rows = list(qs.order_by("-seq")[: limit + 1])
    page = rows[:limit]
    return {
        "data": [change_out(c) for c in page],
        "next_cursor": change_id(page[-1].seq) if len(rows) > limit else None,
    }


def change_feed(
    *, team: Team, after: str | None = None, model_ref: str | None = None, limit=None
) -> dict:
    """The team's changes after ``after``, oldest first. Numbers are taken under the
    team's counter lock at commit (decision 025): a change numbered below one already
    visible is visible too, so resuming from ``next_after`` skips nothing."""
    limit = parse_limit(limit)
    after_seq = parse_change_id(after, field="after") if after else 0
    qs = Change.objects.filter(team=team, seq__gt=after_seq)
    if model_ref is not None:
        qs = qs.filter(model_ref=model_ref)
    page = list(qs.order_by("seq")[:limit])
    return {
        "data": [change_out(c) for c in page],
        "next_after": change_id(page[-1].seq) if page else (after or change_id(after_seq)),
    }


def retention_days(*, team: Team) -> int:
    row = ChangeTeam.objects.filter(team=team).only("retention_days").first()
    return row.retention_days if row else ChangeTeam._meta.get_field("retention_days").default
