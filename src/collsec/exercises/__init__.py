"""Exercises of the collective forces: series, hosts, participants, status and the
decisions that changed it; scenarios and exercise mode; the deployment simulation."""
