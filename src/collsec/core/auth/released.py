"""Whether an object is released to a principal, as SQL a page of narrowed rows asks row by
row: an EXISTS over `releases` on SQLite; on PostgreSQL, whose planner otherwise hashes
every release of the principal or gives up the index a newest-first page reads, the
row's own copy of its releases where its table keeps one (`ARRAYED`, migration 0037),
else the function migration 0032 makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, exists, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from collsec.core.auth.tables import ReleaseRow


class released(FunctionElement[bool]):  # noqa: N801 (an SQL function's name)
    """`released(object_type, object_id, principal)`: true when that release exists."""

    type = Boolean()
    name = "collsec_released"
    inherit_cache = True


@compiles(released)
def _as_exists(element: released, compiler: Any, **kw: Any) -> str:
    kind, object_id, principal = element.clauses.clauses
    return str(compiler.process(exists(select(ReleaseRow.id).where(
        ReleaseRow.object_type == kind, ReleaseRow.object_id == object_id,
        ReleaseRow.principal == principal)), **kw))


# The tables that keep, on PostgreSQL, the principals each row is released to in a
# `released_to` array, written from `releases` by a trigger (migration 0037).
ARRAYED = frozenset({"exchange_reports"})


@compiles(released, "postgresql")
def _as_function(element: released, compiler: Any, **kw: Any) -> str:
    _, object_id, principal = element.clauses.clauses
    table = getattr(getattr(object_id, "table", None), "name", None)
    if table in ARRAYED and getattr(object_id, "name", None) == "id":
        return (f"({compiler.process(principal, **kw)} = "
                f"ANY({compiler.preparer.quote(table)}.released_to))")
    return f"collsec_released({compiler.process(element.clauses, **kw)})"
