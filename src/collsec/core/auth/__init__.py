"""Who is acting, for whom, and may they: principals, users, the access-decision point, audit."""
