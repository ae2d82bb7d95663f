"""The web layer: the app factory, the shared layout, templates and static assets."""
