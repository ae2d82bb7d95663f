"""The base of every API request body."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError


def _holds_nul(value: Any, annotation: Any) -> bool:
    """Whether a field's text holds a NUL where the OpenAPI document says it may not
    (web/contract.py): a text, the texts of a list of texts, an object's keys and the
    texts of an object of texts. Free-form JSON (a mission's details, a geometry) is kept
    as JSON, whose escapes carry a NUL harmlessly, so it is not searched."""
    if isinstance(value, str):
        return "\x00" in value
    items = [_bare(a) for a in get_args(annotation)[-1:]]
    texts = str in items  # list[str], dict[str, str], tuple[str, ...], Annotated[str, ...]
    if isinstance(value, dict):
        return any(isinstance(k, str) and "\x00" in k for k in value) or (
            texts and any(isinstance(v, str) and "\x00" in v for v in value.values()))
    if isinstance(value, list | tuple):
        return texts and any(isinstance(v, str) and "\x00" in v for v in value)
    return False


class Body(BaseModel):
    """A request body whose fields the route names: a field it does not know is refused
    with a 422 naming it, never ignored (`expires_on` sent for `expires` once made a token
    that never expired). No text in it holds a NUL: PostgreSQL refuses one even in a
    lookup, so it is a 422 naming the field before any route runs."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        annotation = _unwrapped(field.annotation if field else None)
        if _holds_nul(value, annotation):
            raise PydanticCustomError("string_nul", "holds a NUL character")
        return value


def _bare(annotation: Any) -> Any:
    """`Annotated[str, ...]` as `str`."""
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _unwrapped(annotation: Any) -> Any:
    """`list[str] | None` as `list[str]`: the annotation a present value has."""
    if get_origin(annotation) in (Union, UnionType):
        present = [a for a in get_args(annotation) if a is not type(None)]
        return present[0] if len(present) == 1 else annotation
    return annotation
