"""The connector registry: connector types, their task types and option schemas.

A connector is a class with a ``type`` key, a ``check()`` of credentials, webhook
verification and a set of task types. A task type declares its options (rendered as a
form in the UI and validated for the API) and implements its stream: a backfill run in
checkpointed pages, event handling, and polling for missed events. Adding a connector
means adding a module that registers one ``Connector`` in its ``AppConfig.ready()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gather.core.errors import ValidationFailed

if TYPE_CHECKING:
    from .models import Integration, IntegrationTask
    from .runner import RunContext


class SyncError(Exception):
    """A failure of a connector's stream, stored as the task's last error in words.

    ``permanent`` errors (a revoked key, missing permissions) put the task in ``error``
    and stop retrying; others are retried with backoff and shown meanwhile.
    """

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class OptionSpec:
    name: str
    label: str
    kind: str  # "model" (one of the team's models) | "field" (a record field name) | "text"
    help: str = ""
    required: bool = True

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "help": self.help,
            "required": self.required,
        }


class TaskType:
    type: str = ""
    label: str = ""
    unit: str = "items"  # what a backfill counts, in progress texts ("charges")
    description: str = ""
    options: tuple[OptionSpec, ...] = ()

    def clean_options(self, *, team, options: Any) -> tuple[dict, Any]:
        """Validate options; returns (options to store, the targeted DataModel or None)."""
        from gather.records.fields import field_name_problem
        from gather.records.models import DataModel

        if not isinstance(options, dict):
            raise ValidationFailed("options must be an object.", field="options")
        cleaned: dict = {}
        model = None
        for spec in self.options:
            value = options.get(spec.name)
            where = f"options.{spec.name}"
            if value in (None, ""):
                if spec.required:
                    raise ValidationFailed(f"{spec.label} is required.", field=where)
                continue
            if not isinstance(value, str):
                raise ValidationFailed(f"{spec.label} must be text.", field=where)
            value = value.strip()
            if spec.kind == "model":
                model = (
                    DataModel.objects.filter(team=team, public_id=value).first()
                    or DataModel.objects.filter(team=team, slug=value).first()
                )
                if model is None:
                    raise ValidationFailed(
                        f"No model {value!r} in this team.", field=where, code="model_not_found"
                    )
                value = model.public_id
            elif spec.kind == "field" and (problem := field_name_problem(value)):
                raise ValidationFailed(problem, field=where)
            cleaned[spec.name] = value
        unknown = set(options) - {s.name for s in self.options}
        if unknown:
            name = sorted(unknown)[0]
            raise ValidationFailed(f"Unknown option {name!r}.", field=f"options.{name}")
        return cleaned, model

    # --- lifecycle hooks, called by the services and the runner -------------------------

    def on_create(self, task: IntegrationTask) -> None:
        """After the task row exists (e.g. register a webhook endpoint). Must not raise."""

    def on_delete(self, task: IntegrationTask) -> None:
        """Before the task row goes (e.g. remove the webhook endpoint). Must not raise."""

    def refresh_endpoint(self, task: IntegrationTask, *, public_url: str) -> None:
        """Point what the provider calls (e.g. a webhook endpoint) at ``public_url``.
        Must not raise."""

    def webhooks_expected_since(self, task: IntegrationTask) -> float | None:
        """Since when (Unix time) the provider should deliver this task's events as
        webhooks; None when it does not (the task polls only)."""
        return None

    def reset_state(self) -> dict:
        return {}

    def backfill(self, ctx: RunContext) -> None:
        """Run (or resume) the backfill from ``ctx.state``, calling ``ctx.checkpoint``."""
        raise NotImplementedError

    def poll(self, task: IntegrationTask) -> list[dict]:
        """Events the provider lists since the task's cursor (oldest first)."""
        return []

    def handles(self, event_type: str) -> bool:
        return False

    def handle_event(self, task: IntegrationTask, event: dict) -> None:
        raise NotImplementedError

    def describe(self, task: IntegrationTask) -> dict:
        """Extra, type-specific fields for the task's API/UI representation."""
        return {}


class Connector:
    type: str = ""
    label: str = ""
    task_types: tuple[TaskType, ...] = ()

    def check(self, *, secret_key: str) -> dict:
        """Validate credentials against the provider; returns {"account": ..., "key_hint"}."""
        raise NotImplementedError

    def verify_webhook(
        self, *, integration: Integration, body: bytes, headers
    ) -> tuple[dict, str] | None:
        """The verified event (as a dict) and its raw text, or None when not authentic."""
        raise NotImplementedError

    def webhook_path(self, integration: Integration) -> str:
        return f"/webhooks/{self.type}/{integration.public_id}"

    def task_type(self, key: str) -> TaskType | None:
        return next((t for t in self.task_types if t.type == key), None)


@dataclass
class _Registry:
    connectors: dict[str, Connector] = field(default_factory=dict)


_REGISTRY = _Registry()


def register(connector: Connector) -> None:
    _REGISTRY.connectors[connector.type] = connector


def connector(key: str) -> Connector | None:
    return _REGISTRY.connectors.get(key)


def connectors() -> list[Connector]:
    return list(_REGISTRY.connectors.values())


def task_type(key: str) -> TaskType | None:
    for c in _REGISTRY.connectors.values():
        if (t := c.task_type(key)) is not None:
            return t
    return None
