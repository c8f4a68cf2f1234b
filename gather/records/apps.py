from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "gather.records"
    label = "records"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .dialects.sqlite import register_functions

        connection_created.connect(register_functions, dispatch_uid="gather-sqlite-functions")
