"""Change log settings and retention."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gather.accounts.models import Team
from gather.core.errors import ValidationFailed

from .models import Change, ChangeTeam

MAX_RETENTION_DAYS = 36_500
PIECE = 1000  # changes deleted per statement (and transaction)
PIECES_PER_RUN = 200  # per team and run: the next run goes on


def retention_set(*, team: Team, days) -> int:
    """A team's history retention in days (0: keep forever)."""
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days.strip())
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_RETENTION_DAYS:
        raise ValidationFailed(
            f"Retention is a whole number of days from 0 (forever) to {MAX_RETENTION_DAYS:,}.",
            field="retention_days",
        )
    ChangeTeam.objects.update_or_create(team=team, defaults={"retention_days": days})
    return days


def retention_sweep_team(*, team_id: int, days: int, now=None) -> int:
    """Delete the team's changes older than ``days``, oldest first, at most ``PIECE`` a
    transaction and ``PIECES_PER_RUN`` pieces. Returns how many went."""
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    total = 0
    for _ in range(PIECES_PER_RUN):
        with transaction.atomic():
            # The oldest changes by number (the (team, seq) index), of which those past the
            # cutoff go; numbers and times rise together, so a piece with fewer old changes
            # than its size is the last one.
            seqs = list(
                Change.objects.filter(team_id=team_id)
                .order_by("seq")
                .values_list("seq", flat=True)[:PIECE]
            )
            if not seqs:
                break
            deleted, _ = Change.objects.filter(
                team_id=team_id, seq__gte=seqs[0], seq__lte=seqs[-1], at__lt=cutoff
            ).delete()
        total += deleted
        if deleted < len(seqs):
            break
    return total


def retention_sweep(*, now=None) -> int:
    """Every team's sweep (the periodic job)."""
    total = 0
    teams = ChangeTeam.objects.filter(retention_days__gt=0).values_list("team_id", "retention_days")
    for team_id, days in teams:
        total += retention_sweep_team(team_id=team_id, days=days, now=now)
    return total
