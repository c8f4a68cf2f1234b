from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gather.accounts"
    label = "accounts"
