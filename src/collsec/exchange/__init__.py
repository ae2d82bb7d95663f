"""Secure information exchange: reports released state by state, their triage and
withdrawal, the unified list of terrorist organizations, STIX 2.1 and TAXII 2.1."""
