"""The charter engine: how each body decides, sessions, positions, outcomes, agreements."""
