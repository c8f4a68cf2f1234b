from django.apps import AppConfig


class StripeConnectorConfig(AppConfig):
    name = "gather.integrations.stripe"
    label = "integrations_stripe"
    verbose_name = "Stripe connector"

    def ready(self) -> None:
        from gather.integrations import registry
        from gather.query.joins import JOIN_PROVIDERS

        from .connector import StripeConnector, charge_join_for_model
        from .customers import SyncStripeCustomers, customer_join_for_model

        connector = StripeConnector()
        connector.task_types = (*connector.task_types, SyncStripeCustomers())
        registry.register(connector)
        for provider in (charge_join_for_model, customer_join_for_model):
            if provider not in JOIN_PROVIDERS:
                JOIN_PROVIDERS.append(provider)
