"""The HTTP floor: a bare aiohttp server calling the function (asyncio loop, no framework).

python servers/aiohttp_hello.py PORT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hello import main


async def handle(request: web.Request) -> web.Response:
    args = json.loads(await request.read() or b"{}")
    return web.json_response(main(args))


def run(port: int) -> None:
    app = web.Application()
    app.router.add_post("/", handle)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    run(int(sys.argv[1]))
