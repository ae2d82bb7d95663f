"""Escalation on the charter engine: requests for consultations and for collective
assistance, and the Council's answer."""
