from django.apps import AppConfig


class ViewsConfig(AppConfig):
    name = "gather.views"
    label = "views"
