"""The one error the proxy answers with: an HTTP status and a message for ``{"error": ...}``."""

from __future__ import annotations

import json


class ProxyError(Exception):
    """A failure reported to the invoker as ``status`` with body ``{"error": error}``."""

    def __init__(self, status: int, error: object) -> None:
        super().__init__(error if isinstance(error, str) else json.dumps(error))
        self.status = status
        self.error = error


# Messages fixed by the runtime contract (the invoker and users may match on them).
INIT_TWICE = "Cannot initialize the action more than once."
NO_CODE = "Missing main/no code to execute."
NOT_INITIALIZED = "no action defined yet"
NOT_DICT = "The action did not return a dictionary or array."  # actionloop (Python) proxy
NOT_DICT_NODE = "The action did not return a dictionary."  # OpenWhisk's Node.js runtime
