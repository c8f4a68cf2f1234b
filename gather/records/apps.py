from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "gather.records"
    label = "records"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_save

        from gather.accounts.models import Team

        from .dialects.sqlite import register_functions
        from .standard import team_created

        connection_created.connect(register_functions, dispatch_uid="gather-sqlite-functions")
        post_save.connect(team_created, sender=Team, dispatch_uid="records-standard-models")
