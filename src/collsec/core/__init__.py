"""Cross-cutting pieces every feature package stands on: settings, database, journal, errors."""
