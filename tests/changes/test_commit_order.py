"""Decision 025: a change numbered below a visible one is visible too.

Writer A appends and holds its transaction open; writer B writes the same team meanwhile.
A follower reading the feed then must not see B's change before A's: had B committed
first with a larger number, a follower storing B's ID as `after=` would never see A's.
"""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from gather.changes.selectors import change_feed
from gather.records import services
from tests.factories import make_model, make_team

pytestmark = pytest.mark.django_db(transaction=True)


def test_feed_never_shows_a_later_writer_before_an_open_earlier_one():
    team = make_team("Order")
    orders = make_model(team, "Orders", "id")
    a_appended, a_may_commit = threading.Event(), threading.Event()
    errors: list = []

    def writer_a():
        try:
            with transaction.atomic():
                services.record_upsert(team=team, model=orders, payload={"id": "a"})
                a_appended.set()
                a_may_commit.wait(60)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    def writer_b():
        try:
            services.record_upsert(team=team, model=orders, payload={"id": "b"})
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    a = threading.Thread(target=writer_a)
    a.start()
    assert a_appended.wait(60)
    b = threading.Thread(target=writer_b)
    b.start()
    b.join(timeout=3)  # B cannot finish while A holds the team's counter
    seen = change_feed(team=team)["data"]
    close_old_connections()
    a_may_commit.set()
    a.join(timeout=60)
    b.join(timeout=60)
    assert not errors, errors
    # Whatever the follower saw while A was open, resuming from it loses nothing.
    after = seen[-1]["id"] if seen else None
    rest = change_feed(team=team, after=after)["data"]
    assert [c["record"] for c in seen + rest] == ["a", "b"]
