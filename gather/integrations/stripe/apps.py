from django.apps import AppConfig


class StripeConnectorConfig(AppConfig):
    name = "gather.integrations.stripe"
    label = "integrations_stripe"
    verbose_name = "Stripe connector"

    def ready(self) -> None:
        from gather.integrations import registry
        from gather.query.joins import JOIN_PROVIDERS

        from .connector import StripeConnector, charge_join_for_model

        registry.register(StripeConnector())
        if charge_join_for_model not in JOIN_PROVIDERS:
            JOIN_PROVIDERS.append(charge_join_for_model)
