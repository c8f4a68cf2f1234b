"""Public identifiers: short, random, URL-safe, with a type prefix."""

import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def public_id(prefix: str, length: int = 16) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))
