"""The Crisis Response Centre: incidents reported by national crisis centres and the
deployment of the collective forces that answer them.

`geo` checks the place of an incident (GeoJSON, RFC 7946); `model` holds the pure
rules: the incident taxonomy read from data, the incident's status workflow, each
contingent's deployment state machine, mission totals and the mission timeline.
Message and state names follow OASIS EDXL-RM where it fits (request resource,
response to request, commit, release, report deployment status).
"""
