"""collsec: the working platform of a collective security organization."""

__version__ = "0.1.0"
