"""Run stock localstripe bound to 127.0.0.1 only (its own launcher binds every interface).

``python -m tests.emulators.localstripe_server PORT`` is ``python -m localstripe
--from-scratch --port PORT`` with the listening address narrowed to loopback: the same
aiohttp application and an empty store.
"""

import sys

from aiohttp import web
from localstripe.server import app


def main() -> None:
    port = int(sys.argv[1])
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
