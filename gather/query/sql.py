"""SQL emitters for the query compiler, one per database.

Field names reach SQL only as quoted string literals of JSON paths, after the catalogue
and ``check_segment`` vetted them; every value is a bound parameter. Each typed
expression yields NULL for an empty value (missing, null, "", or not readable as the
field's type), so "empty" means the same thing to filters and sorts on both databases.
"""

import re

from gather.core.errors import InvalidInput

_BAD_SEGMENT = re.compile(r'["\\\x00-\x1f\x7f]')
MAX_SEGMENT = 200


def check_segment(segment: str, where: str) -> str:
    if not segment:
        raise InvalidInput("Field paths cannot have empty parts.", field=where)
    if len(segment) > MAX_SEGMENT:
        raise InvalidInput(f"Field names are at most {MAX_SEGMENT} characters.", field=where[:300])
    if _BAD_SEGMENT.search(segment):
        raise InvalidInput(
            "Field names in queries cannot contain quotes, backslashes or control characters.",
            field=where[:300],
        )
    return segment


# pg_trgm can look a LIKE pattern up in its index when it holds three word characters
# in a row (shorter runs give no trigram, or only ones padded at a word's end). ASCII
# only: whether other letters are word characters depends on the database's locale.
_TRIGRAM_RUN = re.compile(r"[a-z0-9]{3}")


def like_contains(term: str) -> str:
    """A LIKE pattern (escape character backslash) matching text that contains term."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PostgresSql:
    vendor = "postgresql"

    def json_text(self, src: str, path: tuple[str, ...]) -> str:
        if len(path) == 1:
            return f"({src} ->> {_literal(path[0])})"
        inner = ",".join('"' + p + '"' for p in path)
        return f"({src} #>> {_literal('{' + inner + '}')})"

    def text(self, src, path):
        return f"NULLIF({self.json_text(src, path)}, '')"

    def number(self, src, path):
        return f"gather_num({self.json_text(src, path)})"

    def boolean(self, src, path):
        return f"gather_bool({self.json_text(src, path)})"

    def datetime(self, src, path):
        return f"gather_ts({self.json_text(src, path)})"

    def column_ts(self, column: str) -> str:
        return f"extract(epoch FROM {column})::double precision"

    def lower(self, expr: str) -> str:
        return f"lower({expr})"

    # -- search (q) ----------------------------------------------------------------------
    def search_exact(self, src: str) -> str:
        # strpos, not LIKE: the planner has no statistics on gather_search(...), and for a
        # LIKE on it guesses a tiny fraction; multiplied with the prefilter's (measured)
        # share it would take every term for a rare one and read a common term's matches
        # through the text index rather than stop after one page of the newest.
        return f"strpos(gather_search({src}), %s) > 0"

    def search_exact_param(self, term: str) -> str:
        return term  # lower-cased, like gather_search's text

    def raw_text(self, src: str) -> str:
        # Also the expression of the model's trigram index (gather/query/indexes.py).
        return f"lower({src}::text)"

    def search_prefilter(self, src: str, q: str) -> tuple[str, str] | None:
        """A cheap scan of the stored JSON text that can only over-match, or None."""
        term = q.lower()
        if _BAD_SEGMENT.search(term):
            return None  # jsonb's text form escapes quotes, backslashes, control characters
        if _TRIGRAM_RUN.search(term):
            return f"{self.raw_text(src)} LIKE %s ESCAPE '\\'", like_contains(term)
        # No trigram to look up: the index would read all of itself; strpos keeps the
        # planner from trying (it matches the trigram index's LIKE operator only).
        return f"strpos({self.raw_text(src)}, %s) > 0", term

    def sort_text(self, expr: str) -> str:
        return f'{expr} COLLATE "C"'

    def order_term(self, expr: str, desc: bool) -> str:
        return f"{expr} {'DESC' if desc else 'ASC'} NULLS LAST"

    def data(self, src: str) -> str:
        return f"{src}::text"

    def stamp(self, column: str) -> str:
        # A timestamp as text in UTC, cheaper to read than a datetime (see gather.core.timestamps).
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"

    def join_key(self, src: str, field: str) -> str:
        return self.json_text(src, (field,))

    def number_param(self, value):
        return value  # Decimal, compared exactly

    def bool_param(self, value: bool):
        return value


class SqliteSql:
    vendor = "sqlite"

    def _path(self, path):
        return _literal("$." + ".".join('"' + p + '"' for p in path))

    def text(self, src, path):
        p = self._path(path)
        return (
            f"NULLIF(CASE json_type({src}, {p}) WHEN 'true' THEN 'true' "
            f"WHEN 'false' THEN 'false' ELSE CAST(json_extract({src}, {p}) AS TEXT) END, '')"
        )

    def number(self, src, path):
        p = self._path(path)
        return f"gather_num(json_type({src}, {p}), json_extract({src}, {p}))"

    def boolean(self, src, path):
        p = self._path(path)
        return f"gather_bool(json_type({src}, {p}), json_extract({src}, {p}))"

    def datetime(self, src, path):
        p = self._path(path)
        return f"gather_ts(json_extract({src}, {p}))"

    def column_ts(self, column: str) -> str:
        return f"gather_ts({column})"

    def lower(self, expr: str) -> str:
        return f"gather_lower({expr})"

    # -- search (q) ----------------------------------------------------------------------
    def search_exact(self, src: str) -> str:
        return f"gather_search({src}) LIKE %s ESCAPE '\\'"

    def search_exact_param(self, term: str) -> str:
        return like_contains(term)  # lower-cased, like gather_search's text

    def search_prefilter(self, src: str, q: str) -> tuple[str, str] | None:
        """A cheap scan of the stored JSON text that can only over-match, or None."""
        # SQLite's LIKE folds ASCII case only (the term as typed must be ASCII: the
        # Kelvin sign lower-cases to "k"); stored JSON escapes quotes and backslashes
        if not q.isascii() or _BAD_SEGMENT.search(q):
            return None
        return f"{src} LIKE %s ESCAPE '\\'", like_contains(q.lower())

    def text_index_match(self, index: str) -> str:
        # The model's FTS5 trigram table holds gather_search(data) by record id; a
        # phrase of the term matches exactly the records whose text contains it.
        return f"r.id IN (SELECT rowid FROM {index} WHERE {index} MATCH %s)"

    def sort_text(self, expr: str) -> str:
        return expr

    def order_term(self, expr: str, desc: bool) -> str:
        # SQLite indexes cannot say NULLS LAST; sorting on "is it empty" first can be
        # served by an index on the same two terms (gather/query/indexes.py).
        return f"({expr}) IS NULL, {expr} {'DESC' if desc else 'ASC'}"

    def data(self, src: str) -> str:
        return src

    def stamp(self, column: str) -> str:
        # Stored as UTC text already; an expression has no declared type, so the driver
        # hands the text over instead of parsing it into a datetime.
        return f"({column} || '')"

    def join_key(self, src: str, field: str) -> str:
        # The unary + drops the expression's affinity so SQLite can probe the joined
        # table's index (research/storage-limits.md, note 5).
        return f"+json_extract({src}, {self._path((field,))})"

    def number_param(self, value):
        return float(value)

    def bool_param(self, value: bool):
        return 1 if value else 0
