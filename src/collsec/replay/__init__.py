"""Historical replay: scenario files of dated commands run against a fresh database.

A scenario names how the database starts (`base`), then lists steps, each a dated
command (`on`, `do`, arguments) dispatched through a registry of handlers that
call the services, and ends with checks of what the registry then says.
`model.py` reads and validates a scenario, `runner.py` runs it.
"""
