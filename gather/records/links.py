"""Links between models: a model's field holds the ID of a record of another model.

A link is a join like any other (``gather.query.joins``): ``link_joins`` is the provider
that turns a model's links into ``JoinSpec``s over ``gather_record`` itself, so the
records API, views, CSV, the record page and the query compiler reach ``account.plan``
through the same code that reaches ``stripe_charge.status`` (decision 023).
"""

from django.db import transaction

from gather.accounts.models import Team
from gather.core.errors import ValidationFailed
from gather.query.joins import JoinSpec, joins_for_model

from . import catalogue
from .fields import field_name_problem
from .models import DataModel, Field, Link, Record, Rollup

# Top-level keys of record JSON, and names kept for what builds on links.
RESERVED_NAMES = frozenset({"id", "data", "created_at", "updated_at", "rollups", "activity"})


def link_joins(model) -> list[JoinSpec]:
    """The provider: one join per link, to the linked model's records by their key."""
    links = Link.objects.filter(model_id=model.pk).select_related("target").order_by("id")
    specs = []
    for link in links:
        target = link.target
        specs.append(
            JoinSpec(
                name=link.name,
                table=Record._meta.db_table,
                scope_column="model_id",
                scope_value=target.pk,
                key_column="key",
                data_column="data",
                record_field=link.field,
                # The linked model's catalogue: a change there bumps this model's
                # revision too (services.model_touch), so these types stay current.
                fields=dict(catalogue.current(target).types),
                searched=False,
                kind="link",
                target=target.public_id,
                label=target.name,
            )
        )
    return specs


# -- selectors -------------------------------------------------------------------------


def model_links(*, model: DataModel) -> list[dict]:
    """A model's links as the API lists them."""
    rows = Link.objects.filter(model=model).select_related("target").order_by("id")
    return [{"field": x.field, "model": x.target.public_id, "name": x.name} for x in rows]


def incoming_links(*, team: Team, model: DataModel) -> list[Link]:
    """Every link from a model of the team to this one (the related records' sources)."""
    return list(
        Link.objects.filter(target=model, model__team=team).select_related("model").order_by("id")
    )


RELATED_LIMIT = 10


def record_related(*, team: Team, model: DataModel, key: str) -> list[dict]:
    """For each link from a model of the team to this one: how many records link to this
    record and the newest of them -- the list query ``filter[<field>]=<key>`` of that
    model, so the total matches the view the UI links to."""
    from gather.core.errors import NotFound
    from gather.query.engine import record_query
    from gather.query.spec import Condition, Group, QuerySpec

    if not Record.objects.filter(model=model, key=key).exists():
        raise NotFound(f"No record {key!r} in model {model.name!r}.", code="record_not_found")
    out = []
    for link in incoming_links(team=team, model=model):
        spec = QuerySpec(
            where=Group("and", (Condition(link.field, "eq", key),)),
            limit=RELATED_LIMIT,
            count=True,
        )
        page = record_query(team=team, model=link.model, spec=spec)
        out.append(
            {
                "model": link.model.public_id,
                "model_name": link.model.name,
                "link": link.name,
                "field": link.field,
                "total": page["total"],
                "records": page["data"],
            }
        )
    return out


# -- services --------------------------------------------------------------------------


def default_name(field: str) -> str:
    return field[:-3] if field.endswith("_id") and len(field) > 3 else field


def _name_problem(name: str) -> str | None:
    if problem := field_name_problem(name):
        return problem.replace("Field names", "Link names")
    if name in RESERVED_NAMES:
        return f"{name!r} is taken by the record JSON itself; pick another link name."
    return None


def model_links_set(*, team: Team, model: DataModel, links) -> None:
    """Add, change (``{"model", "name"?}``) or remove (``None``) links, by field."""
    from .selectors import model_get
    from .services import model_touch

    if not isinstance(links, dict):
        raise ValidationFailed(
            'links is an object: {"<field>": {"model": "<Model ID or slug>"}} or null.',
            field="links",
        )
    existing = {x.field: x for x in Link.objects.filter(model=model)}
    plan: dict[str, tuple[DataModel, str] | None] = {}
    for field, spec in links.items():
        where = f"links.{field}"[:300]
        if problem := field_name_problem(field):
            raise ValidationFailed(problem, field=where)
        if spec is None:
            plan[field] = None
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("model"), str):
            raise ValidationFailed(
                f'{where} needs {{"model": "<Model ID or slug>"}} (or null to remove it).',
                field=where,
            )
        if unknown := set(spec) - {"model", "name"}:
            raise ValidationFailed(f"{where}: unknown key {sorted(unknown)[0]!r}.", field=where)
        target = model_get(team=team, ref=spec["model"])  # another team's: model_not_found
        name = spec.get("name", default_name(field))
        if not isinstance(name, str):
            raise ValidationFailed(f"{where}.name must be text.", field=f"{where}.name")
        name = name.strip()
        if problem := _name_problem(name):
            raise ValidationFailed(f"Link name {name!r}: {problem}", field=f"{where}.name")
        plan[field] = (target, name)
    names = {f: x.name for f, x in existing.items()}
    for field, change in plan.items():
        if change is None:
            names.pop(field, None)
        else:
            names[field] = change[1]
    joined = {s.name for s in joins_for_model(model) if s.kind != "link"}
    seen: dict[str, str] = {}
    for field, name in names.items():
        if name in joined:
            raise ValidationFailed(
                f"Link name {name!r} is taken by the {name} join; pick another.",
                field=f"links.{field}.name",
            )
        if name in seen:
            raise ValidationFailed(
                f"Link name {name!r} is used by the link on {seen[name]!r} too.",
                field=f"links.{field}.name",
            )
        seen[name] = field
    if not plan:
        return
    from . import rollups as rollup_values

    touched_rollups = list(Rollup.objects.filter(link__model=model, link__field__in=list(plan)))
    with transaction.atomic():
        Link.objects.filter(
            model=model, field__in=[f for f, c in plan.items() if c is None]
        ).delete()
        changing = {x.field: x for x in existing.values() if plan.get(x.field) is not None}
        # The final names are unique (checked above); park the changing links under names
        # no link can have ("." is refused) so two links may swap names in one request.
        for link in changing.values():
            Link.objects.filter(pk=link.pk).update(name=f".{link.pk}")
        for field, change in plan.items():
            if change is None:
                continue
            target, name = change
            link = changing.get(field)
            if link is None:
                Link.objects.create(model=model, field=field, target=target, name=name)
            else:
                if link.target_id != target.pk:
                    # Rollups counted these records on the old target; they go with it.
                    Rollup.objects.filter(link=link).delete()
                Link.objects.filter(pk=link.pk).update(target=target, name=name)
            # A link field holds a key: text, like the ID field, so that
            # filter[<field>]=<key> selects exactly the records that link to the key.
            Field.objects.update_or_create(
                model=model, name=field, defaults={"type": "string", "type_locked": True}
            )
        targets = {r.model_id for r in touched_rollups}
        for target in DataModel.objects.filter(pk__in=targets):
            rollup_values.rebuild(model=target)
    model_touch(model)
    for target in DataModel.objects.filter(pk__in=targets):
        model_touch(target)  # its rollups may have gone with a link
