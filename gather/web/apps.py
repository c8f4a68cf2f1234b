from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "gather.web"
    label = "web"
