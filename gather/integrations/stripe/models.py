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


class StripeCustomer(models.Model):
    """One Stripe customer of an integration: what records join as ``stripe_customer``.

    ``customer`` holds the contract's customer fields (or ``{"id", "deleted": true}``);
    ``data`` is what the join shows: ``customer`` plus the summary computed from the
    stored subscriptions and invoices (``billing.summary``), rewritten whenever one of
    them changes. ``version`` orders observations of the customer object itself.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    customer_id = models.TextField()
    customer = models.JSONField()
    data = models.JSONField()
    version = models.FloatField()

    class Meta:
        db_table = "gather_stripe_customer"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "customer_id"], name="stripe_customer_integration_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.customer_id


class StripeSubscription(models.Model):
    """One Stripe subscription (all statuses), in the contract's shape, by customer."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    subscription_id = models.TextField()
    customer_id = models.TextField()
    data = models.JSONField()
    created = models.BigIntegerField()
    version = models.FloatField()

    class Meta:
        db_table = "gather_stripe_subscription"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "subscription_id"],
                name="stripe_subscription_integration_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["integration", "customer_id"], name="stripe_sub_customer_idx")
        ]

    def __str__(self) -> str:
        return self.subscription_id


class StripeInvoice(models.Model):
    """One Stripe invoice; ``status``, ``amount_open`` and ``paid_at`` feed the summary's
    aggregates in SQL, ``data`` is what the record page lists."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    invoice_id = models.TextField()
    customer_id = models.TextField()
    status = models.TextField()
    amount_open = models.BigIntegerField(null=True)  # what is still owed while open
    paid_at = models.BigIntegerField(null=True)  # unix seconds
    data = models.JSONField()
    created = models.BigIntegerField()
    version = models.FloatField()

    class Meta:
        db_table = "gather_stripe_invoice"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "invoice_id"], name="stripe_invoice_integration_uniq"
            )
        ]
        indexes = [
            models.Index(
                fields=["integration", "customer_id", "created"],
                name="stripe_invoice_customer_idx",
            )
        ]

    def __str__(self) -> str:
        return self.invoice_id


class StripeProduct(models.Model):
    """A product's name, for the summary's ``plan``."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    product_id = models.TextField()
    name = models.TextField(blank=True, default="")
    version = models.FloatField()

    class Meta:
        db_table = "gather_stripe_product"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "product_id"], name="stripe_product_integration_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.product_id
