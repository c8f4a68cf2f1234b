from django.db import models

from gather.integrations.models import Integration


class StripeCharge(models.Model):
    """One Stripe charge of an integration, as the contract's field set in ``data``.

    Records join it through ``gather.query.joins`` on ``(integration_id, charge_id)``.
    ``version`` orders observations of the same charge (unix seconds: the time a fetch
    was sent, or an event's ``created``); an older observation never overwrites a newer one.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    charge_id = models.TextField()
    data = models.JSONField()
    created = models.BigIntegerField()  # Stripe's created (unix seconds)
    version = models.FloatField()

    class Meta:
        db_table = "gather_stripe_charge"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "charge_id"], name="stripe_charge_integration_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.charge_id
