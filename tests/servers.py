"""Real servers for the tests: a free loopback port, and a ``chroma run`` over a folder."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def chroma_run(data: Path, ready_within: float = 60.0) -> Iterator[str]:
    """``chroma run --path data`` on a free loopback port until the block ends; its URL once it
    answers its heartbeat (the test fails when it does not within ``ready_within`` seconds)."""
    port = free_port()
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + ready_within
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(f"chroma run did not answer its heartbeat within {ready_within:.0f} s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
