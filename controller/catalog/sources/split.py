"""/whisk.system/utils/split: splits the string ``payload`` into ``lines`` at ``separator``
(default: line breaks)."""

import re


def main(args):
    payload = str(args.get("payload", ""))
    separator = args.get("separator")
    lines = payload.split(str(separator)) if separator else re.split(r"\r?\n", payload)
    return {"lines": lines, "payload": payload}
