"""Markdown a user wrote, rendered safely: no raw HTML (it is shown as text), no images
(a picture from elsewhere would tell its server who reads the page), and only links whose
scheme markdown-it deems safe (no `javascript:`)."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_MD = MarkdownIt("js-default").disable("image")


def render(text: str) -> Markup:
    """The HTML of `text`; escaping is markdown-it's, so the result is marked safe."""
    html = _MD.render(text)
    return Markup(html.replace("<a href=", '<a rel="noopener noreferrer nofollow" href='))
