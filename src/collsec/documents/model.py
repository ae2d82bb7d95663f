"""Pure rules for documents: the kinds there are and what a valid marking is."""

from __future__ import annotations

from collsec.core.errors import InvalidInput

KINDS = ("decision", "statement", "declaration", "joint_statement", "agreement", "strategy",
         "plan", "programme", "report")
MARKINGS = ("public", "observers", "partners", "members", "restricted")


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput("unknown document kind '{kind}'; kinds: {kinds}", kind=kind,
                           kinds=", ".join(KINDS))
    return kind


def check_marking(level: str, released_to: list[str]) -> str:
    """A restricted document names whom it is released to; other markings name no one."""
    if level not in MARKINGS:
        raise InvalidInput("unknown marking '{level}'; markings: {markings}", level=level,
                           markings=", ".join(MARKINGS))
    if level == "restricted" and not released_to:
        raise InvalidInput("a restricted document must be released to at least one principal")
    if level != "restricted" and released_to:
        raise InvalidInput("only a restricted document is released to named principals")
    return level
