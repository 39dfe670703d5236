"""/whisk.system/utils/cat: joins the array ``lines`` into one newline-separated ``payload``."""


def main(args):
    lines = args.get("lines", [])
    if not isinstance(lines, list):
        return {"error": "lines must be an array"}
    text = [str(line) for line in lines]
    return {"lines": text, "payload": "\n".join(text)}
