"""Dateline: a static timeline site generator."""

__version__ = "0.1.0"
