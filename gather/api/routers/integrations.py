"""/api/integrations."""

from ninja import Router

router = Router(tags=["Integrations"])
