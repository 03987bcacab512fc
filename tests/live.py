"""A real Participa server in a subprocess, started with the same command operators use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTICIPA = [sys.executable, "-c", "from core.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """``participa demo --no-serve`` then ``participa serve`` on a free port, stopped on exit."""

    def __init__(self, data_dir: Path, database_url: str, **settings: str) -> None:
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "PARTICIPA_DATA_DIR": str(data_dir),
            "PARTICIPA_DATABASE_URL": database_url,
            "PARTICIPA_SECRET_KEY": "live-server-secret-" + "k" * 32,
            "PARTICIPA_LOG_JSON": "true",
            **{f"PARTICIPA_{name.upper()}": value for name, value in settings.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path = data_dir / "server.log"

    def prepare_demo(self) -> None:
        subprocess.run([*PARTICIPA, "demo", "--no-serve"], env=self.env, cwd=ROOT, check=True,
                       capture_output=True, timeout=120)

    def start(self, workers: int = 1) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*PARTICIPA, "serve", "--port", str(self.port), "--workers", str(workers)],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self.url
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer within 30 s:\n{self.log_path.read_text()[-3000:]}")

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
