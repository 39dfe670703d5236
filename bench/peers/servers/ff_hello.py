"""The function as a Google functions-framework HTTP function (Flask request in, dict out).

functions-framework --source servers/ff_hello.py --target hello --port PORT
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hello import main


def hello(request):  # type: ignore[no-untyped-def]
    return main(request.get_json(silent=True) or {})
