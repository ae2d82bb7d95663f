"""The organization's standing regional operations (Channel, PROXI, Illegal, Mercenary):
their stages, the national reports of each stage and the statistics they add up to."""
