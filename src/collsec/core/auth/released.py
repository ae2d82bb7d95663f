"""Whether an object is released to a principal, as SQL a page of narrowed rows asks row by
row: an EXISTS over `releases` on SQLite, on PostgreSQL the function migration 0032 makes
(its planner otherwise hashes every release of the principal, or gives up the index
a newest-first page reads)."""

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


@compiles(released, "postgresql")
def _as_function(element: released, compiler: Any, **kw: Any) -> str:
    return f"collsec_released({compiler.process(element.clauses, **kw)})"
