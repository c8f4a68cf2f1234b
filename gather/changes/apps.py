from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "gather.changes"
    label = "changes"

    def ready(self) -> None:
        # The app's own jobs, for web processes (which enqueue) and consumers (which run them).
        from . import tasks  # noqa: F401
