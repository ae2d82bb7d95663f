"""The temporal registry: states, organizations, memberships, bodies, offices, chairmanship."""
