"""Gather: a self-hosted customer data hub."""

__version__ = "0.1.0"
