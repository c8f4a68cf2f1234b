"""Huey entry points only: look up, call a service, decide whether to retry."""
