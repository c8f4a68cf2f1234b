"""A backfill's progress in words, and the estimate of what is left (decision 018).

Stored progress (``IntegrationTask.progress``, written with each checkpoint):
``synced`` (items written, all runs), ``rate`` (items a second in this run), and where
the provider can tell, ``newest`` / ``position`` / ``oldest``: Unix times of the newest
item (where the backfill started), of the last item written (how far back it has come)
and of the oldest item the provider has (where it will end).
"""

from __future__ import annotations

from datetime import UTC, datetime

RUNNING = ("pending", "backfilling")


def estimate_left(progress: dict) -> int | None:
    """Items still to sync, assuming the density of the span already synced continues
    down to the oldest item; None when the provider could not tell where history ends."""
    synced = int(progress.get("synced") or 0)
    newest, position, oldest = (progress.get(k) for k in ("newest", "position", "oldest"))
    if None in (newest, position, oldest) or synced <= 0 or progress.get("finished_at"):
        return None
    if not oldest <= position <= newest:
        return None  # a provider listing oldest first: no estimate
    if position == oldest:
        return 0
    if newest == position:
        return None
    return round(synced * (position - oldest) / (newest - position))


def seconds_left(progress: dict) -> int | None:
    left, rate = estimate_left(progress), progress.get("rate") or 0
    if left is None or rate <= 0:
        return None
    return round(left / rate)


def duration_words(seconds: int) -> str:
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} min"
    hours = seconds / 3600
    return f"about {hours:.0f} h" if hours >= 10 else f"about {hours:.1f} h".replace(".0 h", " h")


def progress_text(progress: dict, status: str, unit: str = "items") -> str:
    """E.g. "89,700 charges synced · 8,898 charges/s · back to 3 Mar 2025 · about 2 min left"."""
    progress = progress or {}
    parts = [f"{int(progress.get('synced') or 0):,} {unit} synced"]
    rate = progress.get("rate")
    if rate:
        parts.append(f"{round(rate):,} {unit}/s")
    unfinished = not progress.get("finished_at")
    position, newest = progress.get("position"), progress.get("newest")
    if unfinished and position is not None and newest is not None and position <= newest:
        day = datetime.fromtimestamp(position, UTC)
        parts.append(f"back to {day.day} {day:%b %Y}")
        if status in RUNNING:
            seconds = seconds_left(progress)
            if seconds is not None:
                parts.append(f"{duration_words(seconds)} left")
    return " · ".join(parts)
