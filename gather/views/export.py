"""CSV export of exactly what a view shows: its columns, all matching records, in order."""

import csv
import re
from collections.abc import Iterable, Iterator

from gather.accounts.models import Team
from gather.integrations.stripe.formatting import format_amount
from gather.query.spec import QuerySpec

from .cells import cell_text, cell_value
from .money import is_money_path
from .selectors import records_all

# Text a spreadsheet would run as a formula (OWASP "CSV injection"); numbers stay as they are.
FORMULA_START = "=+-@\t\r"
NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if type(value) is str:
        if value and value[0] in FORMULA_START and not NUMBER.match(value):
            return "'" + value
        return value
    return cell_text(value)


class _Line:
    """A file-like object whose write() hands the line back instead of storing it."""

    def write(self, text: str) -> str:
        return text


def _money_text(record: dict, path: str) -> str:
    currency = cell_value(record, f"{path.partition('.')[0]}.currency")
    amount = cell_value(record, path)
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return ""
    return format_amount(amount, currency if isinstance(currency, str) else "")


def csv_lines(columns: list[str], records: Iterable[dict]) -> Iterator[str]:
    """A header row of column paths, then one row per record; nested values as JSON text,
    text that a spreadsheet would evaluate as a formula prefixed with an apostrophe.

    A charge amount column holds Stripe's minor units, as the API does, and is followed by
    ``<path> (formatted)``: the amount as the grid shows it, with its currency code
    (``1999`` then ``19.99 USD``; decision 019)."""
    writer = csv.writer(_Line())
    money = {path for path in columns if is_money_path(path)}
    header = []
    for path in columns:
        header += [path, f"{path} (formatted)"] if path in money else [path]
    yield writer.writerow(header)
    if not money:
        for record in records:
            yield writer.writerow([csv_cell(cell_value(record, path)) for path in columns])
        return
    for record in records:
        row = []
        for path in columns:
            row.append(csv_cell(cell_value(record, path)))
            if path in money:
                row.append(_money_text(record, path))
        yield writer.writerow(row)


CHUNK = 64 * 1024


def chunked(lines: Iterable[str], size: int = CHUNK) -> Iterator[str]:
    """The lines joined into pieces of about ``size`` characters: one write to the client
    per piece, not per line (per-line writes cost the server more than the CSV itself)."""
    parts: list[str] = []
    length = 0
    for line in lines:
        parts.append(line)
        length += len(line)
        if length >= size:
            yield "".join(parts)
            parts, length = [], 0
    if parts:
        yield "".join(parts)


def view_csv(
    *,
    team: Team,
    model,
    spec: QuerySpec,
    columns: list[str],
    batch: int | None = None,
    chunk: int = CHUNK,
) -> Iterator[str]:
    """The CSV text of every record the spec matches, produced a batch at a time and
    handed out in pieces of about ``chunk`` characters.

    The first batch is read before this returns: a query that does not compile raises
    its error here, so the caller answers it before a streamed response has started."""
    extra = {"batch": batch} if batch else {}
    lines = csv_lines(columns, records_all(team=team, model=model, spec=spec, **extra))
    return chunked(lines, chunk)


def csv_filename(name: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.strip().lower())
    return (safe.strip("-") or "view") + ".csv"
