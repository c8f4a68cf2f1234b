from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "gather.integrations"
    label = "integrations"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from gather.records.models import DataModel

        pre_delete.connect(
            _model_deleted, sender=DataModel, dispatch_uid="integrations-model-deleted"
        )


def _model_deleted(sender, instance, **kwargs) -> None:
    """A task whose target model goes is deleted too, cleaning up at the provider first
    (e.g. its Stripe webhook endpoint) rather than cascading silently."""
    from .models import IntegrationTask
    from .services import task_delete

    for task in IntegrationTask.objects.filter(model_id=instance.pk).select_related("integration"):
        task_delete(team=task.integration.team, task=task)
