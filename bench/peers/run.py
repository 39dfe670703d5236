"""Whisk beside its peers: the same function, the same client, one run (not a test).

    bench/peers/setup.sh                      # once: peers' venv + redis-server (as root)
    .venv/bin/python bench/peers/run.py [--rounds 3] [--requests 1000] [--only NAME ...] [--quick]

The function ``bench/peers/hello.py`` served by: a bare aiohttp server (the floor),
functions-framework (1 worker), Celery + Redis (prefork and solo), Dramatiq + Redis, Whisk
standalone and Whisk on Kafka + PostgreSQL (one controller, one invoker). Every peer starts
once; each round measures the floor, every peer (the order rotates by round) and the floor
again (the round's floor is the mean of the two), so the machine's noise falls on all of
them alike. For each: warm blocking p50/p99 with 1
client, throughput with 32 concurrent blocking clients, and for the queue-based ones
accepted -> completed throughput; Whisk standalone adds trigger fan-out (1 fire -> 10 rules).
Every figure is also divided by the floor's figure of the same round; the tables show the
median over rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT / "bench"), str(ROOT)]

import peers  # noqa: E402
import pytest  # noqa: E402  (the harness fails a stack that never comes up with pytest.fail)
import whisk_peers  # noqa: E402
from report import machine, ratio_table, round_lines, value_table  # noqa: E402

from tests.harness import free_port  # noqa: E402

NAMES = [
    "ff",
    "celery-prefork",
    "celery-solo",
    "dramatiq",
    "whisk-standalone",
    "whisk-distributed",
]


def setup(venv: Path) -> str:
    """Run setup.sh (idempotent); the Redis URL is its last line."""
    done = subprocess.run(
        ["bash", str(HERE / "setup.sh")],
        env={**os.environ, "WHISK_PEERS_VENV": str(venv)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench/peers/setup.sh failed:\n{done.stderr}")
    return done.stdout.split()[-1]


def build(only: list[str], venv: Path) -> list[peers.Peer]:
    wanted = set(only or NAMES)
    env = dict(os.environ)
    if wanted - {"whisk-standalone", "whisk-distributed"}:  # peers from the peers' venv
        env["PEERS_REDIS_URL"] = setup(venv)
    made: dict[str, Any] = {
        "ff": lambda: peers.functions_framework(venv, free_port()),
        "celery-prefork": lambda: peers.celery(venv, env, "prefork"),
        "celery-solo": lambda: peers.celery(venv, env, "solo"),
        "dramatiq": lambda: peers.dramatiq(venv, env),
        "whisk-standalone": whisk_peers.standalone,
        "whisk-distributed": whisk_peers.distributed,
    }
    return [made[name]() for name in NAMES if name in wanted]


async def started(peer: peers.Peer, procs: peers.Procs) -> bool:
    """Start one peer; one that cannot start is left out of the run, said so."""
    print(f"starting {peer.label}", flush=True)
    try:
        await peer.start(procs)
    except (Exception, pytest.fail.Exception) as exc:
        print(f"  {peer.name} left out: it did not start: {exc}", flush=True)
        peer.stop()
        return False
    return True


async def run(args: argparse.Namespace) -> None:
    venv = Path(os.environ.get("WHISK_PEERS_VENV") or ROOT / ".cache/peers-venv")
    floor = peers.aiohttp_floor(free_port())
    others = build(args.only, venv)
    print(machine("start"), flush=True)
    print(f"rounds: {args.rounds}, requests per measure: {args.requests}", flush=True)
    print(whisk_peers.factory_note(), flush=True)
    procs = peers.Procs(Path(tempfile.mkdtemp(prefix="bench-peers-")))
    rounds: list[dict[str, dict[str, float]]] = []
    try:
        print(f"starting {floor.label}", flush=True)
        await floor.start(procs)
        others = [peer for peer in others if await started(peer, procs)]
        for n in range(args.rounds):
            shift = n % len(others) if others else 0
            order = [*others[shift:], *others[:shift]]
            before = await floor.measure(args.requests)
            figures: dict[str, dict[str, float]] = {}
            for peer in order:
                try:
                    figures[peer.name] = await peer.measure(args.requests)
                except (Exception, pytest.fail.Exception) as exc:
                    print(f"  {peer.name}: failed in round {n + 1}: {exc}", flush=True)
            after = await floor.measure(args.requests)
            figures[floor.name] = {k: (before[k] + after[k]) / 2 for k in before}
            rounds.append(figures)
            print(f"round {n + 1} ({machine('load')})", flush=True)
            measured = [floor.name, *(p.name for p in order if p.name in figures)]
            for text in round_lines(figures, measured):
                print(text, flush=True)
    finally:
        for peer in others:
            peer.stop()
        procs.stop()
    labels = {p.name: p.label for p in [floor, *others]}
    print()
    print(machine("end"))
    print(whisk_peers.factory_note())
    print(f"medians over {len(rounds)} rounds of {args.requests} requests per measure")
    print()
    for text in ratio_table(rounds, labels):
        print(text)
    print()
    for text in value_table(rounds, labels):
        print(text)
    print(f"\nlogs of the peers: {procs.logs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=NAMES,
        default=[],
        help="measure only this peer (repeatable); the floor always runs",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000, help="per measure and peer")
    parser.add_argument("--quick", action="store_true", help="1 round of 200 requests")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.requests = 1, 200
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
