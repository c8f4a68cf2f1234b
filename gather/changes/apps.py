from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "gather.changes"
    label = "changes"
