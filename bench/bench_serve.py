"""Serving benchmark: a full-size registry from `registry serve` and from nginx, side by side in one run.

    .venv/bin/python bench/bench_serve.py [--seconds 3] [--rounds 2] [--workers N] [--store DIR]
        [--before DIR --before-python PY]   # also an older checkout's `registry serve`, e.g. main

Setup (not timed): a store filled as publish fills it from the 678 connectors of
../shared/fixtures/airbyte/metadata-2026-02-28 and both registries generated (or ``--store``, an
existing one). nginx from Debian serves copies of the two registry files with a ``.gz`` made
beside each (``gzip_static on``, ``sendfile on``), with as many worker processes as
``registry serve`` has. wrk, in its own process on loopback, loads each server in turn for
``--seconds`` per run, gzip and plain, at 16 and 64 connections; the rounds interleave the
servers so a busy machine slows them alike, and each cell shows its best round. Goals: gzip
requests/s at least 0.5x nginx's, p99 under 100 ms at 16 connections, no errors or timeouts.
The page (``/``, gzip) of ``registry serve`` is measured too.

Needs ``wrk`` and ``nginx`` (Debian: ``apt-get install wrk nginx``).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from registry import layout  # noqa: E402

REGISTRIES = (layout.registry_file("oss"), layout.registry_file("cloud"))
TARGET = f"/files/{layout.registry_file('oss')}"
CONNECTIONS = (16, 64)
ENCODINGS = ("gzip", "identity")


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p99_ms: float
    errors: int
    """Socket errors (connect, read, write, timeout) plus non-2xx answers."""


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="runs per cell, interleaved; the best is shown")
    parser.add_argument("--workers", type=int, default=None, help="processes per server (default: cores)")
    parser.add_argument("--store", type=Path, help="serve this store instead of generating one")
    parser.add_argument("--before", type=Path, help="an older checkout whose `registry serve` runs alongside")
    parser.add_argument("--before-python", default=sys.executable, help="the Python for --before")
    args = parser.parse_args()
    tools = {name: shutil.which(name) or _sbin(name) for name in ("wrk", "nginx")}
    if not all(tools.values()):
        missing = " ".join(name for name, path in tools.items() if not path)
        sys.exit(f"bench_serve needs {missing}: on Debian or Ubuntu, `apt-get install {missing}`")

    from registry.server import default_workers

    workers = args.workers or default_workers()
    with tempfile.TemporaryDirectory(prefix="cp-bench-serve-") as temp:
        root = Path(temp)
        store = args.store.resolve() if args.store else _generated_store(root)
        sizes = {path: (store / path).stat().st_size for path in REGISTRIES if (store / path).is_file()}
        if REGISTRIES[0] not in sizes:
            sys.exit(f"{store} has no {REGISTRIES[0]}: run `registry generate` on it first")
        packed = len(gzip.compress((store / REGISTRIES[0]).read_bytes(), compresslevel=9))
        with _servers(root, store, workers, tools["nginx"] or "nginx", args.before, args.before_python) as servers:
            results = _measure(servers, tools["wrk"] or "wrk", args.seconds, args.rounds)
    _report(results, servers, workers, sizes, packed, args)


def _sbin(name: str) -> str | None:
    path = Path("/usr/sbin") / name
    return str(path) if path.is_file() else None


def _generated_store(root: Path) -> Path:
    """What publish and `registry generate` leave for the 678 fixture connectors."""
    from bench_registry import BASE_URL, FIXTURES, fill_store

    from connector_build.monorepo import Monorepo
    from registry.compile import generate_registries
    from registry.store import Store

    if not FIXTURES.is_dir():
        sys.exit(f"{FIXTURES} is absent: pass --store, or run where ../shared/fixtures is")
    (root / "repo" / "airbyte-integrations").mkdir(parents=True)
    (root / "repo" / "airbyte-integrations" / "connectors").symlink_to(FIXTURES)
    started = time.perf_counter()
    store = Store.open(root / "store")
    fill_store(store, list(Monorepo.open(root / "repo").discover().connectors.values()))
    generate_registries(store, base_url=BASE_URL)
    print(f"store generated in {time.perf_counter() - started:.0f} s", flush=True)
    return root / "store"


@contextmanager
def _servers(root: Path, store: Path, workers: int, nginx: str, before: Path | None,
             before_python: str) -> Iterator[list[Server]]:
    processes: list[subprocess.Popen[bytes]] = []
    servers: list[Server] = []
    try:
        port = _free_port()
        processes.append(_registry_serve(sys.executable, PROJECT, store, port, workers))
        servers.append(Server("registry serve", f"http://127.0.0.1:{port}"))
        if before:
            port = _free_port()
            processes.append(_registry_serve(before_python, before.resolve(), store, port, workers))
            servers.append(Server("registry serve, before", f"http://127.0.0.1:{port}"))
        port = _free_port()
        processes.append(_nginx(nginx, root / "nginx", store, port, workers))
        servers.append(Server("nginx gzip_static", f"http://127.0.0.1:{port}"))
        for server, process in zip(servers, processes, strict=True):
            _wait_until_up(server, process)
        yield servers
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _registry_serve(python: str, project: Path, store: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [python, "-m", "pipelines.cli.app", "registry", "serve", "--store", str(store), "--port", str(port)]
    help_text = subprocess.run([*command[:5], "--help"], cwd=project, capture_output=True, text=True).stdout
    if "--workers" in help_text:  # an older checkout may have no such option
        command += ["--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(project), "COLUMNS": "200"}
    return subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _nginx(nginx: str, folder: Path, store: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """nginx serving copies of the registry files, each with the `.gz` gzip_static looks for."""
    files = folder / "files"
    for path in REGISTRIES:
        if (store / path).is_file():
            (files / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(store / path, files / path)
            (files / f"{path}.gz").write_bytes(gzip.compress((store / path).read_bytes(), compresslevel=9))
    config = folder / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # else workers run as nobody, who cannot read the temp dir
    config.write_text(f"""
{user}
worker_processes {workers};
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  server {{
    listen 127.0.0.1:{port} backlog=2048;
    root {folder};
    gzip_static on;
    gzip_vary on;
  }}
}}
""")
    return subprocess.Popen([nginx, "-c", str(config), "-p", str(folder)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _wait_until_up(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{server.name} exited with {process.returncode} before serving")
        try:
            for encoding in ENCODINGS:  # also warms each worker's cache before anything is timed
                httpx.get(server.base_url + TARGET, headers={"Accept-Encoding": encoding}, timeout=30)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    sys.exit(f"{server.name} did not answer within 90 s")


def _measure(servers: list[Server], wrk: str, seconds: int, rounds: int) -> dict[tuple[str, str, int, str], Load]:
    """Best of ``rounds`` for every (server, encoding, connections, path), rounds interleaved."""
    cells = [(server, encoding, connections, TARGET)
             for connections in CONNECTIONS for encoding in ENCODINGS for server in servers]
    cells += [(server, "gzip", 16, "/") for server in servers if server.name.startswith("registry serve")]
    best: dict[tuple[str, str, int, str], Load] = {}
    for round_number in range(rounds):
        for server, encoding, connections, path in cells:
            for _ in range(connections // 16):  # warm the keep-alive paths of every worker
                httpx.get(server.base_url + path, headers={"Accept-Encoding": encoding}, timeout=30)
            load = _wrk(wrk, server.base_url + path, encoding, connections, seconds)
            key = (server.name, encoding, connections, path)
            print(f"round {round_number + 1}: {server.name:<24} {path:<40} {encoding:<8} c={connections:<3} "
                  f"{load.requests_per_s:9.1f} req/s  p99 {load.p99_ms:8.1f} ms  errors {load.errors}", flush=True)
            if key not in best or load.requests_per_s > best[key].requests_per_s:
                best[key] = load
    return best


def _wrk(wrk: str, url: str, encoding: str, connections: int, seconds: int) -> Load:
    output = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
         "-H", f"Accept-Encoding: {encoding}", url], capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return Load(
        requests_per_s=float(rate.group(1)) if rate else 0.0,
        p99_ms=float(p99.group(1)) * scale[p99.group(2)] if p99 else float("inf"),
        errors=(sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)
        + (int(non_2xx.group(1)) if non_2xx else 0),
    )


def _report(results: dict[tuple[str, str, int, str], Load], servers: list[Server], workers: int,
            sizes: dict[str, int], packed: int, args: argparse.Namespace) -> None:
    print(f"\noss_registry.json {sizes[REGISTRIES[0]] / 1e6:.2f} MB ({packed / 1e3:.0f} kB gzipped); "
          f"{workers} worker process(es) per server; wrk -t1 on loopback, {args.seconds} s per run, "
          f"best of {args.rounds} interleaved rounds; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end\n")
    print(f"| {'server':<24} | {'path':<38} | encoding | conns |    req/s | p99 ms | errors | vs nginx |")
    print(f"|{'-' * 26}|{'-' * 40}|----------|------:|---------:|-------:|-------:|---------:|")
    for (name, encoding, connections, path), load in sorted(
            results.items(), key=lambda item: (item[0][3] != TARGET, item[0][2], item[0][1], item[0][0])):
        reference = results.get(("nginx gzip_static", encoding, connections, path))
        shown = f"{load.requests_per_s / reference.requests_per_s:7.2f}x" if reference and \
            reference.requests_per_s and name != "nginx gzip_static" else "       -"
        p99 = f"{load.p99_ms:6.1f}" if load.requests_per_s else "  none"  # not one request completed
        print(f"| {name:<24} | {path:<38} | {encoding:<8} | {connections:>5} | {load.requests_per_s:8.1f} | "
              f"{p99} | {load.errors:>6} | {shown} |")
    ours = [s.name for s in servers if s.name == "registry serve"][0]
    print()
    for connections in CONNECTIONS:
        served, nginx = results[(ours, "gzip", connections, TARGET)], results[("nginx gzip_static", "gzip",
                                                                                connections, TARGET)]
        ratio = served.requests_per_s / nginx.requests_per_s if nginx.requests_per_s else 0.0
        print(f"goal gzip >= 0.5x nginx at {connections} connections: {ratio:.2f}x "
              f"{'met' if ratio >= 0.5 else 'NOT met'}")
    p99_ms = results[(ours, "gzip", 16, TARGET)].p99_ms
    print(f"goal gzip p99 < 100 ms at 16 connections: {p99_ms:.1f} ms {'met' if p99_ms < 100 else 'NOT met'} "
          f"(plain: {results[(ours, 'identity', 16, TARGET)].p99_ms:.1f} ms, nginx plain "
          f"{results[('nginx gzip_static', 'identity', 16, TARGET)].p99_ms:.1f} ms: bound by the megabytes sent)")
    errors = sum(load.errors for (name, *_), load in results.items() if name == ours)
    print(f"goal no errors or timeouts: {errors} {'met' if errors == 0 else 'NOT met'}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    main()
