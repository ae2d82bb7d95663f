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


def test_a_messages_parts_are_worded_in_the_readers_language() -> None:
    from collsec.core import i18n
    from collsec.core.errors import Conflict, InvalidInput, Named, OneOf, Phrase

    exc = Conflict("an incident cannot go from {current} to {new}; from {current} it may go "
                   "to {allowed}", current="reported", new="closed",
                   allowed=OneOf(["assessed", "escalated"]))
    assert exc.detail.endswith("it may go to assessed or escalated")
    assert i18n.message(exc, "ru").endswith("assessed или escalated")
    assert i18n.plain(exc.params["allowed"]) == ["assessed", "escalated"]
    named = Phrase("{matter} (decided by the {body})",
                   matter=Named({"en": "collective assistance", "ru": "коллективная помощь"}),
                   body="CSC")
    assert format(named) == "collective assistance (decided by the CSC)"
    big = InvalidInput("an import takes at most {most:,} reports, not {count:,}; send them in "
                       "batches", most=5000, count=12000)
    assert "5,000" in big.detail and "5\u00a0000" in i18n.message(big, "ru")


def test_a_refusal_names_who_may_act_in_the_readers_language() -> None:
    from collsec.core import i18n
    from collsec.core.auth.model import Clearance, meets
    from collsec.core.errors import InvalidInput

    c = Clearance(user="kz-officer", principal="delegation:KZ", levels=frozenset({"members"}),
                  actions=frozenset({"report_deployment"}))
    refused = meets(c, "report_deployment", ["own_delegation", "crisis_centre"], state="RU")
    assert not refused.allowed
    exc = InvalidInput(refused.template, **refused.params)
    assert exc.detail.startswith("only delegation:RU or the crisis centre may report "
                                 "deployment")
    assert "только делегация RU или Кризисный центр" in i18n.message(exc, "ru")
