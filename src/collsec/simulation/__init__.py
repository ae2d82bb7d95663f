"""How fast the collective forces could be in place: a Monte Carlo deployment model
with its parameters as data, checked against January 2022."""
