"""The function as a Celery task, Redis as broker and result backend (Celery's defaults
otherwise). The bench starts two workers on it: ``-Q prefork --pool prefork`` and
``-Q solo --pool solo``.

    celery -A celery_app worker ...       (cwd: this folder; PEERS_REDIS_URL set)
"""

import os
import sys
from pathlib import Path

from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hello import main


def make_app() -> Celery:
    url = os.environ["PEERS_REDIS_URL"]
    app = Celery("peers", broker=url + "/1", backend=url + "/2")
    app.conf.update(broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)
    return app


app = make_app()


@app.task(name="hello")
def hello(args):  # type: ignore[no-untyped-def]
    return main(args)
