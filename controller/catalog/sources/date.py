"""/whisk.system/utils/date: the current date and time (ISO 8601, UTC)."""

import datetime


def main(args):
    now = datetime.datetime.now(datetime.UTC)
    return {"date": now.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
