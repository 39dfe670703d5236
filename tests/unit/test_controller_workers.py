"""Controller workers: their ids and cluster size (pure), how many, and the supervisor."""

from __future__ import annotations

import os
import sys

import pytest

from controller.workers import Supervisor, worker_environ, worker_identity, workers_from
from whisk.config import SettingsError


def test_worker_ids_are_unique_across_controllers_and_workers() -> None:
    ids = {worker_identity(c, 3, 2, i).controller_id for c in range(3) for i in range(2)}
    assert ids == set(range(6))
    assert worker_identity(1, 3, 2, 1).controllers == 6


def test_one_worker_keeps_the_controllers_own_id() -> None:
    assert worker_identity(4, 5, 1, 0).controller_id == 4
    assert worker_identity(4, 5, 1, 0).controllers == 5


@pytest.mark.parametrize(("cid", "controllers", "workers", "index"), [(1, 1, 2, 0), (0, 1, 2, 2)])
def test_worker_identity_refuses_ids_outside_the_cluster(
    cid: int, controllers: int, workers: int, index: int
) -> None:
    with pytest.raises(SettingsError):
        worker_identity(cid, controllers, workers, index)


def test_workers_come_from_the_option_then_the_environment_then_one() -> None:
    assert workers_from({}, None) == 1
    assert workers_from({"WHISK_CONTROLLER_WORKERS": "3"}, None) == 3
    assert workers_from({"WHISK_CONTROLLER_WORKERS": "3"}, 2) == 2
    assert workers_from({}, 0) == (os.cpu_count() or 1)
    with pytest.raises(SettingsError):
        workers_from({"WHISK_CONTROLLER_WORKERS": "-1"}, None)


def test_a_workers_environment_names_its_id_and_one_worker() -> None:
    env = worker_environ({"HOME": "/h"}, 0, 1, 2, 1)
    assert env == {
        "HOME": "/h",
        "WHISK_CONTROLLER_ID": "1",
        "WHISK_CONTROLLERS": "2",
        "WHISK_CONTROLLER_WORKERS": "1",
    }


def test_a_worker_exiting_on_its_own_stops_the_others_with_its_code() -> None:
    # worker 0 fails at once; worker 1 would run a minute but is stopped
    script = "import os, sys, time\nif os.environ['I'] == '0': sys.exit(3)\ntime.sleep(60)\n"
    supervisor = Supervisor([sys.executable, "-c", script], [{"I": "0"}, {"I": "1"}])
    assert supervisor.run() == 3
