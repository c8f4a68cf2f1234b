"""What each web process of `gather serve` loads: the WSGI application, with stop signals
made to reach the process's main thread (gather/core/process_signals.py says why)."""

from gather.core.process_signals import stop_signals_wake_main_thread
from gather.wsgi import application

# Granian imports this module in each web process's main thread, before it installs its
# own SIGINT/SIGTERM handlers and starts its threads.
stop_signals_wake_main_thread()

__all__ = ["application"]
