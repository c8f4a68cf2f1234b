"""Simultaneous sign-ups against a real `gather serve` (several processes, each with its own
database connection): of the ones that want the same email or the same new team name,
exactly one wins; the others get the sign-up form back with an error, signed in as no one.
"""

import re
import threading

import httpx
import pytest
from django.contrib.auth import get_user_model

from gather.accounts.models import Membership, Team

pytestmark = pytest.mark.slow

CLIENTS = 8
PASSWORD = "a long passphrase"


def _sign_up_at_once(base: str, forms: list[dict]) -> list[tuple[httpx.Client, httpx.Response]]:
    clients = [httpx.Client(base_url=base, timeout=120) for _ in forms]
    tokens = []
    for client in clients:
        page = client.get("/signup")
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1])
    barrier = threading.Barrier(len(forms))
    answers: list = [None] * len(forms)

    def run(n: int) -> None:
        barrier.wait(timeout=30)
        try:
            answers[n] = clients[n].post(
                "/signup", data={**forms[n], "csrfmiddlewaretoken": tokens[n]}
            )
        except httpx.HTTPError as exc:
            answers[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(forms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return list(zip(clients, answers, strict=True))


def _signed_in(client: httpx.Client) -> bool:
    return client.get("/settings/team/members").status_code == 200


def _assert_one_winner(results) -> None:
    statuses = [a.status_code if isinstance(a, httpx.Response) else repr(a) for _, a in results]
    winners = [(c, a) for c, a in results if a.status_code == 302]
    losers = [(c, a) for c, a in results if a.status_code == 200]
    assert len(winners) == 1 and len(losers) == CLIENTS - 1, statuses
    assert winners[0][1].headers["location"] == "/settings/team/models"
    assert _signed_in(winners[0][0])
    for client, answer in losers:
        assert "We could not create an account with these details" in answer.text
        assert not _signed_in(client)


def test_simultaneous_sign_ups_with_one_email_make_one_account(gather_server):
    forms = [
        {"email": "race@example.com", "password": f"{PASSWORD} {n}", "team": f"Race {n}"}
        for n in range(CLIENTS)
    ]
    results = _sign_up_at_once(gather_server.base, forms)
    _assert_one_winner(results)
    user = get_user_model().objects.get(username="race@example.com")
    assert get_user_model().objects.count() == 1
    # The winner's team only: no team of a losing sign-up was left behind.
    assert list(Team.objects.values_list("name", flat=True)) == [
        Membership.objects.get(user=user).team.name
    ]


def test_simultaneous_sign_ups_with_one_team_name_make_one_team_with_one_member(gather_server):
    forms = [
        {"email": f"racer{n}@example.com", "password": PASSWORD, "team": "Race Team"}
        for n in range(CLIENTS)
    ]
    results = _sign_up_at_once(gather_server.base, forms)
    _assert_one_winner(results)
    team = Team.objects.get(name="Race Team")
    assert Membership.objects.filter(team=team).count() == 1
    # A losing sign-up left no user behind either.
    assert get_user_model().objects.count() == 1
