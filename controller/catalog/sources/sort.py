"""/whisk.system/utils/sort: sorts the array ``lines``."""


def main(args):
    lines = args.get("lines", [])
    if not isinstance(lines, list):
        return {"error": "lines must be an array"}
    ordered = sorted(str(line) for line in lines)
    return {"length": len(ordered), "lines": ordered}
