from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UpsertedRow:
    pk: int
    key: str
    data: dict
    created_at: datetime
    updated_at: datetime
    created: bool
