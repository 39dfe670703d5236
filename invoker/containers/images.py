"""Whose fault a container that did not start is (pure): OpenWhisk's rules for action images.

An action's own image (``--docker``, kind ``blackbox``) that cannot be pulled, or whose command
does not exist, is the developer's error (OpenWhisk's ``BlackboxStartupError``: status "action
developer error", 502 on a blocking invoke) and never counts against the invoker's health. Any
other failure to start a container is the invoker's own (``WhiskContainerStartupError``: "whisk
internal error"). The texts are OpenWhisk's ``Messages``.

Departure from OpenWhisk: an action image present on the host is used as it is, without asking
its registry first (OpenWhisk pulls a ``latest`` tag on every cold start and fails the start
when the registry cannot be reached); only a missing image is pulled, so blackbox actions work
offline and a cold start of a present image costs no registry round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

IMAGE_PULL_ERROR = "Failed to pull container image '{}'."
COMMAND_NOT_FOUND = "executable file not found in image {}"
RESOURCE_PROVISION_ERROR = "Failed to provision resources to run the action."

_COMMAND_NOT_FOUND_MARKS = ("executable file not found", "no such file or directory")


class ImageState(Enum):
    PRESENT = "present"  # on the host before this start
    PULLED = "pulled"  # missing, and pulled now
    PULL_FAILED = "pull failed"  # missing, and the pull failed or timed out


class StartupError(Exception):
    """A container did not come up. ``developer``: the action's image is at fault (a developer
    error, not the invoker's health); otherwise the invoker failed. ``message`` is the record's
    error text."""

    def __init__(self, message: str, *, developer: bool) -> None:
        super().__init__(message)
        self.message = message
        self.developer = developer


@dataclass(frozen=True, slots=True)
class Failure:
    message: str
    developer: bool

    def error(self) -> StartupError:
        return StartupError(self.message, developer=self.developer)


def must_pull(action_image: bool, present: bool) -> bool:
    """Only an action's own image is ever pulled, and only when the host does not have it."""
    return action_image and not present


def pull_failure(image: str) -> Failure:
    return Failure(IMAGE_PULL_ERROR.format(image), developer=True)


def startup_failure(
    image: str, action_image: bool, state: ImageState, engine_text: str, missing: bool = False
) -> Failure:
    """The failure to record when creating or starting a container of ``image`` failed with
    ``engine_text``; ``missing``: the engine said the image does not exist."""
    if not action_image:
        return Failure(RESOURCE_PROVISION_ERROR, developer=False)
    text = engine_text.lower()
    if any(mark in text for mark in _COMMAND_NOT_FOUND_MARKS) and "exec" in text:
        return Failure(COMMAND_NOT_FOUND.format(image), developer=True)
    if missing or state is ImageState.PULL_FAILED:
        return pull_failure(image)
    return Failure(RESOURCE_PROVISION_ERROR, developer=False)
