from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gather.core"
    label = "core"
