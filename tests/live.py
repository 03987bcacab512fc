"""A real Participa server in a subprocess, started with the same commands operators use."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PARTICIPA = Path(sys.executable).with_name("participa")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """``participa serve`` on a free port with its own data folder; a context manager that stops it.

    Only the settings given here reach the server: the test runner's own PARTICIPA_*
    variables are left out, so a test sees exactly the configuration it wrote.
    """

    def __init__(self, data_dir: Path, database_url: str, **settings: str) -> None:
        self.data_dir = data_dir
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("PARTICIPA_") and key != "PROMETHEUS_MULTIPROC_DIR"}
        self.env.update({
            "PARTICIPA_DATA_DIR": str(data_dir), "PARTICIPA_DATABASE_URL": database_url,
            "PARTICIPA_SECRET_KEY": "live-server-secret-" + "k" * 32, "PARTICIPA_LOG_JSON": "true",
            "PARTICIPA_LOG_LEVEL": "INFO",
        })
        self.env.update({f"PARTICIPA_{name.upper()}": value for name, value in settings.items()})
        self.process: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.port = 0

    def command(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run another ``participa`` command with this server's settings."""
        return subprocess.run([str(PARTICIPA), *args], env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, check=True)

    def prepare_demo(self) -> None:
        self.command("demo", "--no-serve")

    @property
    def stderr(self) -> Path:
        return self.data_dir / f"server-{self.port}.err"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, workers: int = 1) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        with self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [str(PARTICIPA), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
                env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.stderr.read_text()[-3000:]}")
            try:
                if self.get("/healthz").status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not answer /healthz:\n{self.stderr.read_text()[-3000:]}")
            time.sleep(0.1)

    def start_worker(self) -> None:
        """``participa worker`` beside the server, delivering what the server queues."""
        with (self.data_dir / "worker.err").open("wb") as err:
            self.worker = subprocess.Popen([str(PARTICIPA), "worker", "--workers", "1"], env=self.env, cwd=ROOT,
                                           stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)

    def get(self, path: str, **kwargs) -> httpx.Response:
        """A request on a new connection, as separate browsers would make it."""
        return httpx.get(self.url + path, timeout=30, **kwargs)

    def log_records(self) -> list[dict]:
        return [json.loads(line) for line in self.stderr.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        for process in (self.process, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)  # uvicorn and huey shut down gracefully
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        self.process = self.worker = None

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
