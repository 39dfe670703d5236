"""One reader for numbers in the environment (``whisk.config.env_int``/``env_float``), used by
the controller's settings and the invoker's alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from invoker.main import load_invoker_settings
from whisk.config import SettingsError, env_float, env_int, load_settings


def test_env_int_and_float_default_when_unset_or_empty() -> None:
    assert env_int({}, "X", 7) == 7
    assert env_int({"X": ""}, "X", 7) == 7
    assert env_int({"X": "12"}, "X", 7) == 12
    assert env_float({"X": "0.5"}, "X", 1.0) == 0.5


@pytest.mark.parametrize(
    ("load", "name"),
    [
        (load_settings, "WHISK_PORT"),
        (load_invoker_settings, "WHISK_INVOKER_ID"),
        (load_invoker_settings, "WHISK_INVOKER_USER_MEMORY_MB"),
    ],
)
def test_a_bad_integer_names_its_variable(load: Callable[[Any], object], name: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must be an integer, got 'many'"):
        load({name: "many"})


def test_the_invoker_reads_its_numbers() -> None:
    settings = load_invoker_settings({"WHISK_INVOKER_ID": "3", "WHISK_INVOKER_USER_MEMORY_MB": ""})
    assert (settings.instance, settings.user_memory_mb) == (3, 2048)
