"""Plain factory functions for tests."""

import itertools

from django.contrib.auth import get_user_model

from gather.accounts.services import apikey_create, team_create
from gather.records.services import model_create

_seq = itertools.count(1)


def make_team(name: str | None = None):
    return team_create(name=name or f"Team {next(_seq)}")


def make_user(team=None, email: str | None = None, password: str = "correct horse battery"):
    n = next(_seq)
    email = email or f"user{n}@example.com"
    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    if team is not None:
        from gather.accounts.models import Membership

        Membership.objects.create(team=team, user=user)
    return user


def make_key(team) -> str:
    _, secret = apikey_create(team=team, name="test")
    return secret


def make_model(team, name: str = "Orders", id_field: str = "id"):
    return model_create(team=team, name=name, type="custom", id_field=id_field)
