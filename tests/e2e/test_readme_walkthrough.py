"""The README's quick start, run as written: the emulator command, then the curl walkthrough
against a real `gather serve` pointed at that emulator; its records join their charges."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import database_url, start_server, stop_server
from tests.emulators.fixtures import free_port, wait_for_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_URL = "http://127.0.0.1:12111"


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick = text[text.index("## Quick start") :]
    quick = quick[: quick.index("\n## ", 5)]
    return re.findall(r"```sh\n(.*?)```", quick, re.S)


def test_readme_names_the_emulator_port_and_charges():
    emulator, serve, *rest = readme_blocks()
    walkthrough = "\n".join(rest)
    assert "stripe_emulator --seed 1000" in emulator and EMULATOR_URL in emulator
    assert f"GATHER_STRIPE_API_BASE={EMULATOR_URL}" in serve
    from tests.emulators.stripe_emulator import DEFAULT_PORT, build_parser

    assert build_parser().parse_args([]).port == DEFAULT_PORT == 12111
    assert re.findall(r"stripe_charge_id=(ch_\w+)", walkthrough)


@pytest.mark.django_db(transaction=True)
def test_readme_walkthrough_joins_the_emulators_charges(tmp_path):
    # Every block after the one that starts Gather runs, in order, in one shell.
    emulator_block, _, *rest = readme_blocks()
    walkthrough = "\n".join(rest)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = emulator_block.splitlines()[0].split("#")[0].split()
    assert command[:2] == ["python3", "-m"]
    emulator = subprocess.Popen(
        [sys.executable, *command[1:], "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, proc=emulator)
        assert emulator.stdout.readline().strip() == url
        listing = emulator_block.splitlines()[1].split("#")[0].replace(EMULATOR_URL, url)
        newest = subprocess.run(
            ["bash", "-c", listing], capture_output=True, text=True, timeout=30, check=True
        ).stdout
        assert newest.count('"object": "charge"') == 3 and "ch_001000000999" in newest

        server = start_server(tmp_path, {"GATHER_STRIPE_API_BASE": url})
        try:
            script = walkthrough.replace("BASE=http://127.0.0.1:8000", f"BASE={server.base}")
            env = {**os.environ, "DATABASE_URL": database_url(), "GATHER_HOME": str(tmp_path)}
            env.pop("GATHER_TESTING", None)
            env.pop("GATHER_TEST_DB_NAME", None)
            done = subprocess.run(
                ["bash", "-e", "-c", script + '\necho "KEY=$KEY MODEL=$MODEL_ID"'],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            key, model = re.search(r"KEY=(\S+) MODEL=(\S+)", done.stdout).groups()
            charges = dict(re.findall(r"-d id=(\d+) .*?stripe_charge_id=(ch_\w+)", walkthrough))
            assert len(charges) >= 1
            http = httpx.Client(
                base_url=server.base, headers={"Authorization": f"Token {key}"}, timeout=10
            )
            deadline = time.monotonic() + 60
            joined = {}
            while time.monotonic() < deadline and len(joined) < len(charges):
                for record_id in charges:
                    body = http.get(f"/api/models/{model}/records/{record_id}").json()
                    if body.get("stripe_charge"):
                        joined[record_id] = body["stripe_charge"]["id"]
                time.sleep(0.2)
            assert joined == charges
            # The links and rollups block: the account sums the orders linked to it.
            if "/api/models/account/records/acme" in walkthrough:
                acme = http.get("/api/models/account/records/acme").json()
                assert acme["rollups"]["orders"] >= 1, acme
        finally:
            stop_server(server)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
