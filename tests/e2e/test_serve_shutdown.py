"""`gather serve` stops on SIGTERM, even when a web process cannot stop by itself."""

import os
import signal
import subprocess
import time

import httpx
import pytest

from tests.e2e.conftest import start_server


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:  # the parent's pid
                found.append(int(entry))
    return found


def argv(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cmdline") as f:
        return f.read().split("\0")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_serve_exits_on_sigterm_and_kills_a_stuck_web_process(transactional_db, tmp_path):
    server = start_server(tmp_path, args=("--graceful-timeout", "2"))
    try:
        for _ in range(20):
            assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
        web = [pid for pid in children(server.process.pid) if "worker" not in argv(pid)]
        assert len(web) == 2, web  # --workers 2
        os.kill(web[0], signal.SIGSTOP)  # this one cannot act on SIGTERM any more
        started = time.monotonic()
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=30)
        took = time.monotonic() - started
        assert not any(alive(pid) for pid in web), "a web process outlived gather serve"
        # It waited for the stuck process (the grace period), then killed it.
        assert took >= 1.5, took
    finally:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)


def cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])  # utime + stime


def wait_until_idle(server, bound: float = 60.0) -> None:
    """Until every process of the server has finished starting: none used any CPU for
    half a second (a process still importing Django is not idle, and Ctrl-C in the middle
    of an import is another matter than stopping an idle server)."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        pids = children(server.process.pid)
        before = [cpu_ticks(pid) for pid in pids]
        time.sleep(0.5)
        if len(pids) >= 3 and [cpu_ticks(pid) for pid in pids] == before:
            return
    pytest.fail(f"gather serve did not settle within {bound} s:\n{server.output()}")


def test_serve_stops_at_once_on_ctrl_c(transactional_db, tmp_path):
    # Ctrl-C in a terminal sends SIGINT to the whole foreground process group: gather serve,
    # its web processes and the task consumer at once; gather serve then sends each web
    # process SIGTERM as well. A web process that got both signals used to lose them (both
    # handled by one of its non-Python threads, its main thread never woke) and was killed
    # after the grace period.
    server = start_server(tmp_path)  # the default --graceful-timeout (20 s)
    try:
        assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
        wait_until_idle(server)  # two web processes and the task consumer, started
        web = [pid for pid in children(server.process.pid) if "worker" not in argv(pid)]
        os.killpg(server.process.pid, signal.SIGINT)
        # An idle server stops in about half a second; the bound is generous for a busy
        # machine and still far below the 20 s after which a stuck process is killed.
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"gather serve still running 10 s after Ctrl-C:\n{server.output()}")
        assert not any(alive(pid) for pid in web)
        assert "refused to gracefully stop" not in server.output(), server.output()
    finally:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
