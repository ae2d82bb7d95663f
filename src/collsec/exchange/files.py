"""A report's attachments, pure: what a file is (sniffed from its bytes, never taken from
its name or the type its sender declares), whether the organization's rules accept it,
and a name safe to show and to offer for download.

The type a browser or a client declares is the sender's claim; the first bytes are the
file's. An executable named `minutes.pdf` is an executable, and HTML or SVG (active
content a browser would run) is refused whatever it is called.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass

from collsec.core.errors import InvalidInput

MAX_NAME = 200
# Magic numbers, longest first where one begins another (file(1)'s database, in short).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # .doc, .xls
    (b"%PDF-", "application/pdf"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x7fELF", "application/x-executable"),
    (b"MZ", "application/x-msdownload"),
    (b"\x1f\x8b", "application/gzip"),
)
# Office Open XML is a zip whose parts say what it is.
_OOXML = ((b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
          (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
          (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"))
# Text a browser would run, by how it begins (lower-cased, after spaces and a BOM).
_ACTIVE = ((b"<!doctype html", "text/html"), (b"<html", "text/html"),
           (b"<script", "text/html"), (b"<svg", "image/svg+xml"), (b"<?xml", "application/xml"))


def sniff(data: bytes) -> str:
    """The media type of `data`, from its content."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            if kind == "application/zip":
                head = data[:65536]
                if b"[Content_Types].xml" in head:
                    for part, office in _OOXML:
                        if part in head:
                            return office
            return kind
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for start, kind in _ACTIVE:
        if head.startswith(start):
            return "image/svg+xml" if kind == "application/xml" and b"<svg" in head else kind
    if b"\x00" in data[:65536]:
        return "application/octet-stream"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "["):
        try:
            json.loads(text.lstrip("\ufeff"))
        except ValueError:
            return "text/plain"
        return "application/json"
    return "text/plain"


def safe_name(name: str) -> str:
    """A file's name without folders, control or direction characters, at most
    `MAX_NAME` characters; refused when nothing is left."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    kept = kept.strip().strip(".")
    if not kept:
        raise InvalidInput("an attachment needs a file name")
    if len(kept) > MAX_NAME:
        raise InvalidInput("a file name is at most {most} characters", most=MAX_NAME)
    return kept


@dataclass(frozen=True)
class Policy:
    """What a report may carry (`exchange.attachments` in the charter data)."""

    max_bytes: int
    max_per_report: int
    types: tuple[str, ...]


@dataclass(frozen=True)
class Checked:
    name: str
    media_type: str
    size: int
    sha256: str


def check(policy: Policy, name: str, data: bytes, held: int) -> Checked:
    """An attachment the rules accept, or the refusal in words; `held`: how many the
    report has already."""
    clean = safe_name(name)
    if not data:
        raise InvalidInput("the file {name} is empty", name=clean)
    if len(data) > policy.max_bytes:
        raise InvalidInput("the file {name} is {size:,} bytes; an attachment is at most "
                           "{most:,}", name=clean, size=len(data), most=policy.max_bytes)
    if held >= policy.max_per_report:
        raise InvalidInput("a report carries at most {most} attachments",
                           most=policy.max_per_report)
    kind = sniff(data)
    if kind not in policy.types:
        raise InvalidInput("the file {name} is {kind} by its content, which a report may not "
                           "carry; accepted: {types}", name=clean, kind=kind,
                           types=", ".join(policy.types))
    return Checked(clean, kind, len(data), hashlib.sha256(data).hexdigest())
