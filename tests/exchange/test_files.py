"""What a report may carry and what it is about, pure: a file's type comes from its bytes,
never from its name, and each subject is checked for its shape."""

from __future__ import annotations

import hashlib

import pytest

from collsec.core.errors import InvalidInput
from collsec.exchange import files, subjects

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
POLICY = files.Policy(max_bytes=1000, max_per_report=2, types=("application/pdf", "text/plain",
                                                             "application/json"))


@pytest.mark.parametrize(("data", "kind"), [
    (PDF, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
    (b"\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
    (b"GIF89a\x01\0\x01\0", "image/gif"),
    (b"PK\x03\x04\x14\0\0\0", "application/zip"),
    (b"PK\x03\x04\x14\0[Content_Types].xml\0word/document.xml",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"MZ\x90\0\x03\0\0\0", "application/x-msdownload"),
    (b"\x7fELF\x02\x01\x01", "application/x-executable"),
    (b"  <!DOCTYPE html><p>hi", "text/html"),
    (b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    (b"<?xml version='1.0'?><svg/>", "image/svg+xml"),
    (b'{"type": "bundle"}', "application/json"),
    (b"{not json", "text/plain"),
    ("Вербовщики в долине\n".encode(), "text/plain"),
    (b"\xff\xfe\x00\x01binary", "application/octet-stream"),
    (b"text\x00with a NUL", "application/octet-stream"),
])
def test_a_files_type_is_sniffed_from_its_bytes(data: bytes, kind: str) -> None:
    assert files.sniff(data) == kind


def test_an_accepted_file_is_named_safely_and_hashed() -> None:
    done = files.check(POLICY, "C:\\Users\\kz\\..\\minutes\u202e.pdf", PDF, held=0)
    assert done == files.Checked("minutes.pdf", "application/pdf", len(PDF),
                                 hashlib.sha256(PDF).hexdigest())


@pytest.mark.parametrize(("name", "data", "held", "refusal"), [
    ("a.pdf", b"", 0, "is empty"),
    ("a.pdf", PDF + b" " * 1000, 0, "is 1,035 bytes; an attachment is at most 1,000"),
    ("a.pdf", PDF, 2, "at most 2 attachments"),
    ("minutes.pdf", b"MZ\x90\0", 0, "is application/x-msdownload by its content"),
    ("page.txt", b"<html><script>alert(1)</script>", 0, "is text/html by its content"),
    ("../..", PDF, 0, "needs a file name"),
    ("x" * 201, PDF, 0, "at most 200 characters"),
])
def test_a_file_the_rules_do_not_accept_is_refused(name: str, data: bytes, held: int,
                                                   refusal: str) -> None:
    with pytest.raises(InvalidInput, match=refusal):
        files.check(POLICY, name, data, held)


POINT = {"type": "Point", "coordinates": [69.28, 41.31]}


def test_subjects_are_checked_and_kept_once_in_their_order() -> None:
    got = subjects.check([
        {"kind": "organization", "ref": " ISIL "},
        {"kind": "person", "name": "A. Recruiter"},
        {"kind": "place", "name": "Tashkent", "geometry": POINT},
        {"kind": "incident", "ref": "12"},
        {"kind": "incident", "ref": 12},
        {"kind": "organization", "ref": "ISIL"},
    ])
    assert [x.as_dict() for x in got] == [
        {"kind": "organization", "ref": "ISIL"}, {"kind": "person", "name": "A. Recruiter"},
        {"kind": "place", "name": "Tashkent", "geometry": POINT},
        {"kind": "incident", "ref": "12"}]


@pytest.mark.parametrize(("item", "refusal"), [
    ({"kind": "operation", "ref": "Channel"}, "unknown kind 'operation'"),
    ("ISIL", "expected an object with a kind"),
    ({"kind": "organization"}, "name the list entry by its code"),
    ({"kind": "incident", "ref": "twelve"}, "name the incident by its number"),
    ({"kind": "incident", "ref": True}, "name the incident by its number"),
    ({"kind": "person", "name": "  "}, "subject 1: a name is required"),
    ({"kind": "person", "name": 7}, "a name is text"),
    ({"kind": "place", "name": "Nowhere", "geometry": {"type": "Point",
                                                      "coordinates": [200, 0]}},
     "longitude"),
    ({"kind": "place", "name": "Nowhere"}, "a place must be a GeoJSON object"),
])
def test_a_malformed_subject_is_refused(item: object, refusal: str) -> None:
    with pytest.raises(InvalidInput, match=refusal):
        subjects.check([item])  # type: ignore[list-item]


def test_a_report_names_at_most_fifty_subjects() -> None:
    many = [{"kind": "person", "name": f"P{n}"} for n in range(51)]
    with pytest.raises(InvalidInput, match="at most 50 subjects"):
        subjects.check(many)
