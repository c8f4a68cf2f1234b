"""The standard models every team has: Account, and User linked to it.

New teams get them when the team row is created (a ``post_save`` receiver, so every way
of creating a team does it); teams older than this code got them from migration
``records.0006``. A slug another model already holds falls back to the next free one
(``account-2``, ``account-3``, ...), exactly as a new model's slug does.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Standard:
    type: str
    name: str
    fields: tuple[str, ...]  # conventional fields after the ID field ``id``, as text
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (type, name)


STANDARD_MODELS = (
    Standard(type="account", name="Account", fields=("name",)),
    Standard(
        type="user",
        name="User",
        fields=("first_name", "last_name", "email", "account_id"),
        links={"account_id": ("account", "account")},
    ),
)


def unique_slug(taken: set[str], base: str) -> str:
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def ensure_standard_models(team_id: int, DataModel, Field, Link, new_model_id) -> None:
    """Create the team's missing standard models (idempotent). Takes the model classes so
    migration ``0006`` runs the same code with its historical models."""
    from django.utils.text import slugify

    existing = {m.type: m for m in DataModel.objects.filter(team_id=team_id)}
    taken = set(DataModel.objects.filter(team_id=team_id).values_list("slug", flat=True))
    by_type = {}
    for std in STANDARD_MODELS:
        model = existing.get(std.type)
        if model is None:
            slug = unique_slug(taken, slugify(std.name))
            taken.add(slug)
            model = DataModel.objects.create(
                team_id=team_id,
                public_id=new_model_id(),
                name=std.name,
                slug=slug,
                type=std.type,
                id_field="id",
            )
            Field.objects.create(model=model, name="id", type="string", type_locked=True)
            for name in std.fields:
                # a link field holds a key: text, set like a hand-set type
                locked = name in std.links
                Field.objects.create(model=model, name=name, type="string", type_locked=locked)
        by_type[std.type] = model
    for std in STANDARD_MODELS:
        model = by_type[std.type]
        for field_name, (target_type, link_name) in std.links.items():
            taken = Link.objects.filter(model=model, field=field_name).exists() or (
                Link.objects.filter(model=model, name=link_name).exists()
            )
            if not taken:
                Link.objects.create(
                    model=model, field=field_name, target=by_type[target_type], name=link_name
                )


def team_created(sender, instance, created, raw=False, **kwargs) -> None:
    """post_save receiver on Team: a new team gets its standard models."""
    if not created or raw:
        return
    from .models import DataModel, Field, Link, new_model_id

    ensure_standard_models(instance.pk, DataModel, Field, Link, new_model_id)
