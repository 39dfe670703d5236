"""What to do next after a failure (pure): one sentence per obvious fix."""

from __future__ import annotations

AUTH_HINT = (
    "Run 'whisk property set --auth UUID:KEY', or start 'whisk standalone', which writes its "
    "guest key to ~/.wskprops (and ~/.whisk/.wskprops)."
)
APIHOST_HINT = (
    "Run 'whisk property set --apihost HOST', or start 'whisk standalone', which writes "
    "~/.wskprops."
)
UNREACHABLE_HINT = (
    "Is Whisk running there? Start one with 'whisk standalone', or point the CLI at another "
    "host with 'whisk property set --apihost HOST'."
)


def hint_for(status: int, verb: str | None, noun: str | None) -> str | None:
    """The next step after an HTTP ``status`` from ``verb`` on a ``noun`` (or None)."""
    if status == 401:
        return "The key was refused: check it with 'whisk property get --auth'. " + AUTH_HINT
    if status == 403:
        return (
            "This key is not entitled to that namespace: use '_' or your own namespace "
            "(see 'whisk namespace list')."
        )
    if status == 404 and noun:
        if verb in ("create", "update", "bind") and noun in ("rule", "binding"):
            return None
        return f"Run 'whisk {'package' if noun == 'binding' else noun} list' to see what exists."
    if status == 409 and verb == "create" and noun:
        return f"Use 'whisk {noun} update' to change the existing {noun}, or delete it first."
    if status == 409 and verb == "delete" and noun == "package":
        return "Delete the package's actions first ('whisk action list PACKAGE')."
    if status == 429:
        return (
            "Wait a minute and retry, or raise the namespace's limits ('whisk admin limits set')."
        )
    if status == 503:
        return (
            "The server cannot run this now (no invoker ready, or overloaded): retry later, and "
            "check the server's log if it persists."
        )
    return None
