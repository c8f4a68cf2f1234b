"""Granian, as `gather serve` runs it: with a shutdown that tells a stopped web process
from a stuck one.

Granian (2.8.9, pinned) stops its web processes by sending each SIGTERM, waiting up to
the kill timeout, then asking ``is_alive()`` and killing the ones that say yes. That
question races with granian's own watcher thread, which reaps the same child: when the
watcher has collected the exit status but not yet recorded it, the process looks alive,
is "killed" and "Killing worker-N after it refused to gracefully stop" is logged although
it stopped at once (seen under load after every few Ctrl-C). Here a process counts as
stopped when its sentinel (a pipe only the child holds open) closes, which no other
thread can consume; only a process still running at the deadline is killed.
"""

import time
from multiprocessing.connection import wait

from granian import Granian
from granian.log import logger


class GatherServer(Granian):
    def _stop_workers(self) -> None:
        for wrk in self.wrks:
            wrk.terminate()
        timeout = self.workers_kill_timeout
        deadline = None if not timeout else time.monotonic() + timeout
        for wrk in self.wrks:
            left = None if deadline is None else max(deadline - time.monotonic(), 0)
            if not wait([wrk.inner.sentinel], left):
                logger.warning(f"Killing worker-{wrk.idx + 1} after it refused to gracefully stop")
                wrk.kill()
            wrk.join()  # reaped here or by granian's watcher thread: either way it is gone
            logger.info(f"Stopped worker-{wrk.idx + 1}")
        self.wrks.clear()
