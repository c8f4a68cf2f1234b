from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gather.core"
    label = "core"

    def ready(self) -> None:
        # Background tasks live in gather/tasks.py (not inside an app), so register them
        # here for web processes (which enqueue) and consumers (which run them) alike.
        import gather.tasks  # noqa: F401
