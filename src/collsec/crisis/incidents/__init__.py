"""Incidents reported by national crisis centres: the report, its releasability, follow-
ups, the situation picture."""
