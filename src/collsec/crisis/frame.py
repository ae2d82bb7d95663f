"""What the escalation pages (requests and consultations in `escalation_views`, the incident
and its assessment in `incident_views`) share on top of the crisis page frame in
`forces_views`: the names they show, an id read from a path, and the status a refusal
answers with."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from collsec.core.errors import CollsecError, NotFound
from collsec.crisis.escalation import service as escalation
from collsec.crisis.forces.views import org_code
from collsec.registry import service as registry
from collsec.registry.charter import read_yaml
from collsec.web.render import Ctx


def refusal_status(exc: CollsecError) -> int:
    """A refusal's status for a page: a bad form value (422 in the API) is a bad request."""
    return 400 if exc.status == 422 else exc.status


def path_id(text: str, what: str) -> int:
    """A numeric id from a URL; anything else is simply not found."""
    value = text.strip()
    if not value.isdigit() or len(value) > 9:
        raise NotFound(f"unknown {what} {value[:20]}")
    return int(value)


def labels(org: str, lang: str) -> dict[str, Any]:
    """Bases and kinds of need from the charter data, statuses from crisis.yaml."""
    spec = escalation.rules(org)
    statuses = {str(s["code"]): str(s["name"][lang])
                for s in read_yaml(org, "crisis.yaml").get("incident_statuses", [])}
    return {"bases": {code: b.name.get(lang) or b.name["en"] for code, b in spec.bases.items()},
            "needs": {code: names.get(lang) or names.get("en", code)
                      for code, names in spec.needs.items()},
            "incident_statuses": statuses,
            "article": spec.consultation_article.get(lang) or spec.consultation_article.get(
                "en", "")}


def page_names(s: Session, ctx: Ctx) -> dict[str, Any]:
    """The labels and the states every escalation page names."""
    return {"labels": labels(org_code(), ctx.lang),
            "states": {st.code: st for st in registry.list_states(s)}}
