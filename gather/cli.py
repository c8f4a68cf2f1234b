"""The ``gather`` command: serve, worker, init, apikey, changes, migrate."""

import argparse
import os
import signal
import subprocess
import sys


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gather.settings")
    import django

    django.setup()


def cmd_migrate(args) -> int:
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_init(args) -> int:
    _django()
    from django.core.management import call_command

    from gather.accounts.services import user_init
    from gather.core.errors import GatherError

    # The first command on a new machine: bring the database up to date first.
    call_command("migrate", interactive=False, verbosity=0)

    try:
        user, team, created = user_init(
            email=args.email, password=args.password, team_name=args.team
        )
    except GatherError as exc:
        print(f"gather init: {exc.message}", file=sys.stderr)
        return 2
    state = "created" if created else "already existed"
    print(f"User {user.email} {state}; member of team {team.name!r}.", file=sys.stderr)
    return 0


def cmd_apikey(args) -> int:
    _django()
    from gather.accounts.selectors import team_by_name
    from gather.accounts.services import apikey_create

    team = team_by_name(name=args.team)
    if team is None:
        print(f"gather apikey: no team named {args.team!r}.", file=sys.stderr)
        return 2
    _, secret = apikey_create(team=team, name=args.name)
    print(secret)
    return 0


def cmd_worker(args) -> int:
    _django()
    from django.core.management import call_command

    # Redis hands tasks over at once (blocking pop); SQLite storage is polled, so poll
    # often enough that a webhook's work starts well within a second.
    call_command(
        "run_huey",
        workers=args.workers,
        worker_type="thread",
        delay=0.05,
        max_delay=0.5,
        backoff=1.15,
    )
    return 0


def _default_workers() -> int:
    # One process per core, each with --threads request threads (default 2): a request
    # is Python work between short database round trips, and a second thread fills a
    # process's waits. More threads contend for the interpreter lock and more processes
    # than cores for the cores; both measured slower (docs/decisions/009).
    return max(2, os.cpu_count() or 1)


def default_public_url(host: str, port: int) -> str:
    """Where this server is reached when ``GATHER_PUBLIC_URL`` is not set: its own
    ``--host``/``--port`` (a wildcard address is reached on the loopback one)."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None  # a host name
    if not host or (address is not None and address.is_unspecified):
        host = "127.0.0.1"
    elif address is not None and address.version == 6:
        host = f"[{address}]"
    return f"http://{host}:{port}"


def cmd_serve(args) -> int:
    # Before settings load: the default public URL (Stripe's webhook target, the trusted
    # origin of forms) follows --host/--port, here and in the embedded consumer.
    if not os.environ.get("GATHER_PUBLIC_URL", "").strip():
        os.environ["GATHER_PUBLIC_URL"] = default_public_url(args.host, args.port)
    _django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from granian.constants import Interfaces
    from granian.log import LogLevels

    from gather.core.process_signals import stop_signals_wake_main_thread
    from gather.core.web_server import GatherServer

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    from gather import tasks

    # Webhook endpoints registered for another public URL are pointed at this one.
    try:
        tasks.integration_endpoints_refresh(settings.PUBLIC_URL)
    except Exception as exc:  # e.g. Redis not up yet: serving matters more
        print(f"  Could not queue the webhook endpoint check: {exc}", file=sys.stderr)

    consumer = None
    if not settings.REDIS_URL:
        # The embedded task consumer: same code as `gather worker`, started and stopped
        # with the server (docs/decisions/002-embedded-task-consumer.md).
        consumer = subprocess.Popen([sys.executable, "-m", "gather.cli", "worker"])

    base = f"http://{args.host}:{args.port}"
    print(f"Gather is running at {base}", flush=True)
    if not get_user_model().objects.exists():
        print(
            f"  No account yet: create one at {base}/signup "
            "(or run: gather init --email you@example.com --password ...)",
            flush=True,
        )
    else:
        print(f"  Sign in at {base}/login", flush=True)
    print(f"  API docs: {base}/api/docs · data in {settings.GATHER_HOME}", flush=True)
    print(
        f"  Stripe webhooks go to {settings.PUBLIC_URL}/webhooks/stripe/… (GATHER_PUBLIC_URL)",
        flush=True,
    )

    # The main process waits for signals the way its web processes do: same remedy.
    stop_signals_wake_main_thread()
    server = GatherServer(
        "gather.web_process:application",
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=args.threads,
        respawn_failed_workers=True,
        # A worker that has not stopped this long after SIGTERM is killed: shutdown is
        # bounded even when a worker hangs in granian's own teardown (seen here, rarely).
        workers_kill_timeout=args.graceful_timeout,
        # The server's own messages and its access log (one line a request) are for
        # GATHER_LOG_LEVEL=DEBUG only, like every library's INFO lines (settings.LOGGING).
        log_level=LogLevels.debug if settings.LOG_LEVEL == "DEBUG" else LogLevels.warning,
        log_access=settings.LOG_LEVEL == "DEBUG",
    )
    try:
        server.serve()
    finally:
        if consumer is not None and consumer.poll() is None:
            consumer.send_signal(signal.SIGTERM)
            try:
                consumer.wait(timeout=15)
            except subprocess.TimeoutExpired:
                consumer.kill()
    return 0


def cmd_changes_retention(args) -> int:
    _django()
    from gather.accounts.selectors import team_by_name
    from gather.changes.selectors import retention_days
    from gather.changes.services import retention_set
    from gather.core.errors import GatherError

    team = team_by_name(name=args.team)
    if team is None:
        print(f"gather changes: no team named {args.team!r}.", file=sys.stderr)
        return 2
    if args.days is not None:
        try:
            retention_set(team=team, days=args.days)
        except GatherError as exc:
            print(f"gather changes: {exc.message}", file=sys.stderr)
            return 2
    days = retention_days(team=team)
    print(f"{days} days" if days else "forever")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gather", description="Gather customer data hub.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then serve the UI and the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=_default_workers(),
        help="web processes (default: one per core, at least 2)",
    )
    serve.add_argument(
        "--threads", type=int, default=2, help="request threads per process (default 2)"
    )
    serve.add_argument(
        "--graceful-timeout",
        type=int,
        default=20,
        help="seconds a web process gets to stop on shutdown before it is killed (default 20)",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a background task consumer")
    worker.add_argument("--workers", type=int, default=4, help="threads in this consumer")
    worker.set_defaults(func=cmd_worker)

    init = sub.add_parser("init", help="create a user and team if absent (idempotent)")
    init.add_argument("--email", required=True)
    init.add_argument("--password", required=True)
    init.add_argument("--team", default=None)
    init.set_defaults(func=cmd_init)

    apikey = sub.add_parser("apikey", help="manage API keys")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="print a new API key on stdout")
    create.add_argument("--team", required=True)
    create.add_argument("--name", default="command line")
    create.set_defaults(func=cmd_apikey)

    changes = sub.add_parser("changes", help="record history settings")
    changes_sub = changes.add_subparsers(dest="changes_command", required=True)
    retention = changes_sub.add_parser(
        "retention", help="show, or set with --days, how long a team's history is kept"
    )
    retention.add_argument("--team", required=True)
    retention.add_argument("--days", default=None, help="days to keep; 0 keeps it forever")
    retention.set_defaults(func=cmd_changes_retention)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--verbosity", type=int, default=1)
    migrate.set_defaults(func=cmd_migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
