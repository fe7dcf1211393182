"""A document list's page and its total as one statement: one round trip to Postgres, and one snapshot
(a statement's own), so the total and the page agree without a transaction (issue 24: BEGIN, the
count, the page and COMMIT were four round trips; under load each is a wait of its own).

The total comes from the running counts when they answer the filters (counts.py), else from the page
itself when it proves it, else from counting the matches; the page is read by the index in the list's
order, or, when its offset lies in the back half of a list whose total the counts know, from the end
(the index backwards), so the last page costs what the first one does. Which way is decided inside the
statement, from the counts it reads: the way not taken reads no row.
"""

from __future__ import annotations

from typing import Any

from billwire_invoices.documents import keyset
from billwire_shared.contracts.documents import DOCUMENT_TYPES, ListDocuments

# The sort columns the list indexes hold descending, NULLs last (created_at: 0011, 0016, 0022; issue_date:
# 0024); number is held ascending, NULLs last (0024). Walked either way, an index gives its NULLs at
# one end only: `ordered` reads the other end's order as two ranges.
_INDEXED_DESCENDING = {"created_at", "issue_date"}
# Lists of every type have an index of their own for the creation time only (0016); in the other
# orders they merge the ranges of each type's index, one per DOCUMENT_TYPES (the types a document is
# written with: the contract's; a type added there gets its range).
_INDEXED_ACROSS_TYPES = {"created_at"}


def ordered(select: str, column: str, direction: str, nulls: str, limit: str, offset: str, typed: bool,
            after: tuple[str, str] | None = None) -> str:
    """`select` (rows with `sort_value` and `id`, ending in its WHERE conditions) in the order
    `column direction NULLS nulls, id direction`, `limit` rows from `offset`, read from an index walked
    either way instead of sorting every match (issue 24). When the walk gives the NULLs at the other
    end (?sort=-number and ?sort=date, or a page from the end of ?sort=number and ?sort=-date) the rows
    with a value and the rows without (drafts) are two ranges of the index; for a list of every type,
    each type's range too. Each range gives its first `limit + offset` rows, and the few it gave are
    ordered: the same rows, ties and all, as a sort of every match. A column that is never NULL
    (created_at) is one range in either order: where its NULLs would go makes no difference. `after`,
    a cursor's conditions on the rows with a value and on those without (keyset.after), reads the
    two ranges from the cursor on."""
    walked = "LAST" if (direction == "DESC") == (column in _INDEXED_DESCENDING) else "FIRST"
    order = f"ORDER BY {column} {direction} NULLS {walked}, id {direction}"
    nullable = column not in keyset.NOT_NULL and (walked != nulls or after is not None)
    valued, unvalued = after or ("true", "true")
    ranges = [f" AND {column} IS NOT NULL AND {valued}", f" AND {column} IS NULL AND {unvalued}"] if nullable else [""]
    types = [""] if typed or column in _INDEXED_ACROSS_TYPES else [f" AND type = '{name}'" for name in DOCUMENT_TYPES]
    branches = [f"{select}{part}{type_}" for part in ranges for type_ in types]
    if len(branches) == 1:
        return f"{select} {order} LIMIT {limit} OFFSET {offset}"
    each = " UNION ALL ".join(f"({branch} {order} LIMIT {limit} + {offset})" for branch in branches)
    return (f"SELECT sort_value, id FROM ({each}) AS ranges"
            f" ORDER BY sort_value {direction} NULLS {nulls}, id {direction} LIMIT {limit} OFFSET {offset}")


def total_of_page(limit: int, offset: int, count: str) -> str:
    """The total of all matches, given the `page` CTE of the rows from `offset` (at most `limit` of
    them are the page; one more only says there is a next one): a short, non-empty page, or an empty
    first page, proves it (offset plus its rows); else the query `count` counts the matches, and only
    then (a subquery in a CASE branch not taken never runs). A `count(*) OVER ()` on the page query
    would copy every matching row before the sort and limit, which grows with the account; the count
    alone does not."""
    return (f"(SELECT CASE WHEN c < {limit} AND (c > 0 OR {offset} = 0) THEN {offset} + c ELSE ({count}) END"
            " FROM (SELECT count(*) AS c FROM page) AS page_rows)")


def statement(query: ListDocuments, conditions: list[str], args: list[Any], known: str | None) -> tuple[str, list[Any]]:
    """SQL and arguments giving the page's rows (`data` as text, `sort_value`, `id`; the one row past the
    page too, when there is one) in the list's order, each with the `total`; an empty page gives one row
    whose other columns are NULL. `conditions` and `args` are the filters' ($1 the account); `known` is
    the running counts' query for the total, or None when the matches are counted."""
    column = keyset.SORT_COLUMNS[query.sort.lstrip("-")]
    direction = "DESC" if query.sort.startswith("-") else "ASC"
    backwards = "ASC" if direction == "DESC" else "DESC"
    page_conditions, page_args, offset, limit = list(conditions), list(args), int(query.offset), int(query.limit) + 1
    after = None
    if query.cursor:
        value, last_id = keyset.decode(query.cursor, query.sort)
        valued, unvalued, more = keyset.after(query.sort, value, last_id, len(args) + 1)
        if unvalued is None:
            page_conditions.append(valued)
        else:
            after = (valued, unvalued)
        page_args, offset = [*args, *more], 0
    rows_of = f"SELECT {column} AS sort_value, id FROM documents WHERE {' AND '.join(page_conditions)}"
    typed = query.type is not None
    ctes = []
    if known is not None and offset and not query.cursor:
        # Served by the documents_list_* indexes (migrations 0011, 0016, 0022, 0024) either way. From the
        # end: the rows before the page's last one from the end are skipped, up to the page's last row.
        ctes.append(f"known AS (SELECT ({known}) AS n)")
        # Each way is gated by a one-time filter on whether the page lies in the back half: the way
        # not taken reads nothing, and the way forward keeps its constant limit (the planner walks the
        # index for it then).
        from_end = f"(SELECT {offset} > n / 2 FROM known)"
        front = ordered(f"{rows_of} AND NOT {from_end}", column, direction, "LAST", str(limit), str(offset), typed)
        end_limit = f"(SELECT greatest(n - {offset}, 0) - greatest(n - {offset} - {limit}, 0) FROM known)"
        end_offset = f"(SELECT greatest(n - {offset} - {limit}, 0) FROM known)"
        end = ordered(f"{rows_of} AND {from_end}", column, backwards, "FIRST", end_limit, end_offset, typed)
        page = f"({front}) UNION ALL ({end})"
        total = "(SELECT n FROM known)"
    else:
        # One row past the page tells whether there is a next one. The rows an offset skips are only
        # walked in the index: the documents themselves are read for the page's rows alone.
        page = ordered(rows_of, column, direction, "LAST", str(limit), str(offset), typed, after)
        count = f"SELECT count(*) FROM documents WHERE {' AND '.join(conditions)}"
        if known is not None:
            total = f"({known})"
        elif query.cursor:
            total = f"({count})"
        else:
            total = total_of_page(int(query.limit), offset, count)
    ctes.append(f"page AS ({page})")
    sql = (
        f"WITH {', '.join(ctes)} SELECT d.data::text AS data, page.sort_value, page.id, {total} AS total"
        f" FROM (SELECT 1) AS one LEFT JOIN (page JOIN documents d ON d.id = page.id AND d.account_id = $1) ON true"
        f" ORDER BY page.sort_value {direction} NULLS LAST, page.id {direction}"
    )
    return sql, page_args
