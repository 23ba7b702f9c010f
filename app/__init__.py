"""RedWaves: accept bitcoin in your shop without trusting anyone."""

__version__ = "0.1.0"
