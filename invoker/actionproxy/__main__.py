"""``python3 -m actionproxy [--unix PATH] [--port 8080] [--runtime python|nodejs]``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence

from .app import ProxyApp
from .executor import Executor
from .logs import redirect_to_fifos
from .server import TCPServer, UnixServer


def parse_args(argv: Sequence[str] | None, environ: dict[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="actionproxy", description=__doc__)
    parser.add_argument("--unix", metavar="PATH", help="listen on this Unix socket")
    parser.add_argument("--port", type=int, help="listen on this TCP port (OpenWhisk: 8080)")
    parser.add_argument("--host", default="0.0.0.0", help="TCP address (default 0.0.0.0)")
    parser.add_argument(
        "--runtime",
        choices=("python", "nodejs"),
        default=environ.get("WHISK_RUNTIME", "python"),
        help="language of the action (default: $WHISK_RUNTIME or python)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=int(environ.get("WHISK_CONCURRENCY", "1")),
        help="runs served at once; more wait (default: $WHISK_CONCURRENCY or 1)",
    )
    parser.add_argument("--node", default="node", help="the node executable (nodejs runtime)")
    parser.add_argument(
        "--log-dir",
        metavar="DIR",
        help="write stdout/stderr into the FIFOs 'stdout' and 'stderr' the invoker made in DIR",
    )
    args = parser.parse_args(argv)
    if args.unix is None and args.port is None:
        args.port = 8080
    return args


def make_executor(args: argparse.Namespace) -> Executor:
    if args.runtime == "nodejs":
        from .node_executor import NodeExecutor

        return NodeExecutor(args.node)
    from .python_executor import PythonExecutor

    return PythonExecutor()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, dict(os.environ))
    if args.log_dir:
        redirect_to_fifos(args.log_dir)
    app = ProxyApp(make_executor(args), args.concurrency)
    servers: list[UnixServer | TCPServer] = []
    if args.unix:
        servers.append(UnixServer(args.unix, app.dispatch))
    if args.port is not None:
        servers.append(TCPServer(args.host, args.port, app.dispatch))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
        if args.unix and os.path.exists(args.unix):
            os.unlink(args.unix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
