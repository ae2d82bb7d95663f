"""Live updates: announcements that leave with their commit and the broker that fans them
out to readers allowed to see them."""
