"""/api/views."""

from ninja import Router

router = Router(tags=["Views"])
