"""A running `build.py serve` for tests: fetch pages, send raw requests, stop it."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

import pytest

from conftest import REPO

TIMEOUT = 15.0


class Served:
    """A running `build.py serve` and helpers to fetch from it."""

    def __init__(self, source: Path, *extra: str) -> None:
        self.source = source
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--source", str(source), "--port", "0", *extra],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        line = self._first_line()
        match = re.search(r"at (http://(127\.0\.0\.1):(\d+))(/\S*) ", line)
        assert match, f"no URL in {line!r}; stderr:\n{self.log}"
        self.origin, self.host, self.port, self.mount = match[1], match[2], int(match[3]), match[4]

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _first_line(self) -> str:
        got: list[str] = []
        reader = threading.Thread(target=lambda: got.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(TIMEOUT * 2)
        if not got or not got[0]:
            self.stop()
            pytest.fail(f"serve printed no URL; stderr:\n{self.log}")
        return got[0]

    @property
    def log(self) -> str:
        return "".join(self.stderr)

    def get(self, path: str) -> tuple[int, str]:
        """Fetch origin+path, following redirects; return the status and the body."""
        try:
            with urllib.request.urlopen(self.origin + path, timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def page(self, rel: str = "") -> str:
        """Return the body at a path under the site's mount."""
        return self.get(self.mount + rel)[1]

    def raw(self, target: str) -> tuple[int, bytes]:
        """Send a request line exactly as given, without any client-side normalisation."""
        with socket.create_connection((self.host, self.port), timeout=10) as conn:
            conn.sendall(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: close\r\n\r\n"
                         .encode("latin-1"))
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
        return status, data

    def wait_for(self, what: str, check: Callable[[], bool]) -> None:
        """Poll until check() holds, failing with the server's log after TIMEOUT seconds."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"serve died (exit {self.proc.returncode}):\n{self.log}"
            if check():
                return
            time.sleep(0.05)
        pytest.fail(f"timed out waiting until {what}; serve's log:\n{self.log}")

    def stop(self) -> int:
        """Send SIGTERM and return the exit status (killing the server if it does not stop)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
