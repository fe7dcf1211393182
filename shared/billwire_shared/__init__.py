"""Billwire's common package: contracts, subjects, settings and wiring shared by every service."""

__version__ = "0.1.0"
