"""/whisk.system/utils/head: the first ``num`` (default 1) entries of the array ``lines``."""


def main(args):
    lines = args.get("lines", [])
    if not isinstance(lines, list):
        return {"error": "lines must be an array"}
    try:
        num = int(args.get("num", 1))
    except (TypeError, ValueError):
        return {"error": "num must be a number"}
    return {"lines": lines[: max(num, 0)]}
