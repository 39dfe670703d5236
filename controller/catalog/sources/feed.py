"""The feed actions of /whisk.system/alarms and /whisk.system/messaging.

Each passes its lifecycle event (CREATE, READ, UPDATE, DELETE, PAUSE, UNPAUSE) to the
controller's feed service, ``POST {__OW_API_HOST}/api/v1/feeds/{package}/{feed}``, with the
caller's ``authKey`` as Basic credentials (which proves the caller owns the trigger).

Whisk's controller answers API invocations of these actions itself (action containers have no
network by default); this code is the same request made from a container that has one.
"""

import base64
import json
import os
import urllib.error
import urllib.request

PACKAGES = ("alarms", "messaging")


def main(args):
    parts = os.environ.get("__OW_ACTION_NAME", "").strip("/").split("/")
    if len(parts) != 3 or parts[1] not in PACKAGES:
        return {"error": "this feed action must live in /whisk.system/alarms or /messaging"}
    host = os.environ.get("__OW_API_HOST", "").rstrip("/")
    key = args.get("authKey")
    if not host or not isinstance(key, str):
        return {"error": "the feed needs __OW_API_HOST and the authKey parameter"}
    url = f"{host}/api/v1/feeds/{parts[1]}/{parts[2]}"
    request = urllib.request.Request(
        url,
        data=json.dumps(args).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(key.encode()).decode(),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        return {"error": body.get("error") or f"feed service answered {exc.code}"}
    except OSError as exc:
        return {"error": f"feed service unreachable: {exc}"}
