from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "gather.integrations"
    label = "integrations"
