"""The client for the queue peers, run with the peers' venv python (their client libraries).

    .cache/peers-venv/bin/python bench/peers/queue_client.py celery-prefork|celery-solo|dramatiq
        --requests N [--clients 32] [--warmup 64]

Measures, as the HTTP client does for the HTTP peers: blocking (send, wait for the result)
with 1 client and with ``--clients`` threads, then non-blocking: N messages sent from one
thread (accepted), and the time until every result was read back (completed: Celery's
``ResultSet.join_native``, Dramatiq's results one by one). One JSON line on stdout. Celery:
each client thread has its own app (its result consumer is per app).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "servers"))

from stats import latency  # noqa: E402

ARGS = {"name": "bench"}
TIMEOUT_S = 60

Send = Callable[[], Any]  # returns a handle
Wait = Callable[[Any], Any]  # handle -> result
WaitAll = Callable[[list[Any]], None]
Client = tuple[Send, Wait, WaitAll]


def celery_client(queue: str) -> Callable[[], Client]:
    import celery_app
    from celery.result import ResultSet

    def make() -> Client:
        app = celery_app.make_app()
        return (
            lambda: app.send_task("hello", args=[ARGS], queue=queue),
            lambda handle: handle.get(timeout=TIMEOUT_S),
            lambda handles: ResultSet(handles, app=app).join_native(timeout=TIMEOUT_S),
        )

    return make


def dramatiq_client() -> Callable[[], Client]:
    import dramatiq_app

    def wait(handle: Any) -> Any:
        return handle.get_result(block=True, timeout=TIMEOUT_S * 1000)

    def make() -> Client:
        return (lambda: dramatiq_app.hello.send(ARGS), wait, lambda hs: [wait(h) for h in hs])

    return make


def blocking(make: Callable[[], Client], runs: int, clients: int) -> dict[str, float]:
    samples: list[float] = []
    pairs = [make() for _ in range(clients)]
    errors: list[BaseException] = []

    def client(send: Send, wait: Wait, _: WaitAll) -> None:
        try:
            for _ in range(runs // clients):
                began = time.perf_counter()
                result = wait(send())
                samples.append((time.perf_counter() - began) * 1000)
                if result != {"greeting": "hello bench"}:
                    raise RuntimeError(f"unexpected result {result!r}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=pair) for pair in pairs]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return latency(samples, time.perf_counter() - began)


def non_blocking(make: Callable[[], Client], runs: int) -> dict[str, float]:
    send, _, wait_all = make()
    began = time.perf_counter()
    handles = [send() for _ in range(runs)]
    accepted = time.perf_counter() - began
    wait_all(handles)
    done = time.perf_counter() - began
    return {"accepted": runs / accepted, "completed": runs / done}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=["celery-prefork", "celery-solo", "dramatiq"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=64)
    args = parser.parse_args()
    if args.peer == "dramatiq":
        make = dramatiq_client()
    else:
        make = celery_client(args.peer.removeprefix("celery-"))
    blocking(make, args.warmup, min(args.clients, args.warmup))
    out = {
        "one": blocking(make, args.requests, 1),
        "many": blocking(make, args.requests, args.clients),
        **non_blocking(make, args.requests),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
