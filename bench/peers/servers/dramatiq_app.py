"""The function as a Dramatiq actor, Redis as broker and (Results middleware) result backend.

dramatiq dramatiq_app --processes 2 --threads 8     (cwd: this folder; PEERS_REDIS_URL set)
"""

import os
import sys
from pathlib import Path

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hello import main

_url = os.environ["PEERS_REDIS_URL"]
broker = RedisBroker(url=_url + "/3")
broker.add_middleware(Results(backend=RedisBackend(url=_url + "/4")))
dramatiq.set_broker(broker)


@dramatiq.actor(store_results=True, max_retries=0)
def hello(args):  # type: ignore[no-untyped-def]
    return main(args)
