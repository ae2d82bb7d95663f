"""The command line's language: COLLSEC_LANG, else the POSIX locale, else English."""

from __future__ import annotations

import pytest

from collsec.core.i18n import environment_language


@pytest.mark.parametrize(("environ", "lang"), [
    ({}, "en"), ({"LANG": "ru_RU.UTF-8"}, "ru"), ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "ru_RU.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),  # LC_ALL wins
    ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "ru"),
    ({"LC_ALL": "", "LANG": "ru_RU"}, "ru"),  # set but empty is unset
    ({"COLLSEC_LANG": "ru", "LC_ALL": "en_US.UTF-8"}, "ru"),
    ({"COLLSEC_LANG": "de"}, "en"),  # a language we do not have
])
def test_the_environment_names_the_language(environ: dict[str, str], lang: str) -> None:
    assert environment_language(environ) == lang
