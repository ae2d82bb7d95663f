"""The base of every API request body."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    """A request body whose fields the route names: a field it does not know is refused
    with a 422 naming it, never ignored (`expires_on` sent for `expires` once made a token
    that never expired)."""

    model_config = ConfigDict(extra="forbid")
