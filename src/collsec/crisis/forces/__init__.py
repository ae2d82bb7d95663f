"""The collective forces: the catalogue of national contingents, missions, offers,
deployment and withdrawal."""
