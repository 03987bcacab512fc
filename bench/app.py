"""The benchmarked server: Participa's application plus the floor plugin, served like ``participa serve``.

``python -m bench.app --port 8123 [--workers N]`` reads its settings from the ``PARTICIPA_*``
environment exactly as ``participa serve`` does and starts uvicorn with the same options (trusted
proxies, no uvicorn access log, multi-process metrics folder when N > 1). ``bench.run`` starts it
in a separate process.
"""

from __future__ import annotations

import argparse
import os
import shutil

from litestar import Litestar

from bench import floor
from core.app import create_app
from core.plugins import Registry
from core.settings import Settings, load_settings


def create_bench_app(settings: Settings | None = None) -> Litestar:
    """``create_app`` with the floor route added as an extra plugin."""
    settings = settings or load_settings()
    return create_app(settings, Registry(settings, extra=[("bench_floor", floor)]))


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.app", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="App processes, as participa serve --workers.")
    args = parser.parse_args()
    settings = load_settings()
    Registry(settings, extra=[("bench_floor", floor)])  # fail here, before forking workers, as serve does
    if args.workers > 1:
        metrics_dir = settings.data_path / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    uvicorn.run(
        "bench.app:create_bench_app", factory=True, host=args.host, port=args.port, workers=args.workers,
        proxy_headers=True, forwarded_allow_ips=",".join(settings.trusted_proxies), access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    main()
