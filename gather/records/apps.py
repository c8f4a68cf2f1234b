from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "gather.records"
    label = "records"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_save

        from gather.accounts.models import Team
        from gather.query.joins import JOIN_PROVIDERS

        from .dialects.sqlite import register_functions
        from .links import link_joins
        from .rollups import rollup_joins
        from .standard import team_created

        connection_created.connect(register_functions, dispatch_uid="gather-sqlite-functions")
        post_save.connect(team_created, sender=Team, dispatch_uid="records-standard-models")
        for provider in (link_joins, rollup_joins):
            if provider not in JOIN_PROVIDERS:
                JOIN_PROVIDERS.append(provider)
