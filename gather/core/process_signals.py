"""Make sure a stop signal reaches Python's main thread, whichever thread the kernel picks.

Python runs signal handlers in the main thread only. When the kernel delivers a signal to
another thread of the process (it may: any thread that does not block it can take a
process-wide signal, and the HTTP server's Rust threads block nothing), the C-level handler
only marks the signal as received; a main thread asleep in a lock wait is not woken and the
Python handler never runs. Granian's web processes sleep exactly so, waiting for their
handler to tell the server to stop, and Ctrl-C makes this likely: the terminal sends SIGINT
to every process of the group and the server's main process sends each web process SIGTERM
a moment later; with the main thread already woken for the first signal, the kernel hands
the second to another thread, and that thread takes both. The web process then hangs until
it is killed after the grace period.

The remedy: Python writes the number of every signal it catches to a wakeup file
descriptor, from whichever thread; a small daemon thread reads it and pokes the main thread
with a signal of its own (SIGUSR2, handled by doing nothing), which interrupts the wait, so
Python runs the handlers of every signal received so far.
"""

import os
import signal
import threading

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
WAKE_SIGNAL = signal.SIGUSR2


def _ignore(signum, frame) -> None:
    """The wake signal's handler: waking the main thread is all it is for."""


def stop_signals_wake_main_thread() -> bool:
    """Install the relay in this process (call from the main thread; once per process,
    again after a fork). Returns False where it cannot be installed (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    main = threading.main_thread().ident
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)  # the C handler must never block on a full pipe
    signal.signal(WAKE_SIGNAL, _ignore)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)

    def relay() -> None:
        while True:
            received = os.read(read_fd, 64)
            if not received:
                return
            if any(signum in STOP_SIGNALS for signum in received):
                signal.pthread_kill(main, WAKE_SIGNAL)

    threading.Thread(target=relay, name="gather-signal-relay", daemon=True).start()
    return True
