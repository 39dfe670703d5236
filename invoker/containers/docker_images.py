"""The images the Docker factory starts containers from: their user, and pulls of missing ones.

An image is looked up once (``inspect``) and its user kept. An action's own image the host
lacks is pulled, once at a time per image however many cold starts wait for it (they share the
pull), bounded by ``pull_timeout_s``; a failed pull raises the developer error of ``images``.
Runtime images are never pulled: a missing one is the invoker's failure (build them).
"""

from __future__ import annotations

import asyncio

import structlog

from invoker.containers.docker_config import container_user
from invoker.containers.engine import Engine
from invoker.containers.images import ImageState, must_pull, pull_failure
from whisk.errors import NotFound, WhiskError

log = structlog.get_logger(__name__)


class Images:
    def __init__(self, engine: Engine, default_user: str, pull_timeout_s: float) -> None:
        self._engine = engine
        self._default_user = default_user
        self._pull_timeout_s = pull_timeout_s
        self._users: dict[str, str] = {}
        self._pulls: dict[str, asyncio.Future[None]] = {}

    def forget(self, image: str) -> None:
        """The engine says ``image`` is gone: look it up (and pull it) again next time."""
        self._users.pop(image, None)

    async def prepare(self, image: str, action_image: bool) -> tuple[str, ImageState]:
        """The user to run ``image`` as, and whether it was there or had to be pulled. Raises
        ``StartupError`` (developer) when an action's image cannot be pulled; the engine's
        ``NotFound`` for a missing runtime image."""
        user = self._users.get(image)
        if user is not None:
            return user, ImageState.PRESENT
        try:
            user = await self._user_of(image)
            return user, ImageState.PRESENT
        except NotFound:
            if not must_pull(action_image, present=False):
                raise
        await self._pull(image)
        try:
            return await self._user_of(image), ImageState.PULLED
        except NotFound as exc:  # pulled, and gone again
            raise pull_failure(image).error() from exc

    async def _user_of(self, image: str) -> str:
        config = (await self._engine.inspect_image(image)).get("Config") or {}
        user = container_user(config.get("User") or "", self._default_user)
        self._users[image] = user
        return user

    async def _pull(self, image: str) -> None:
        pending = self._pulls.get(image)
        if pending is None:
            pending = asyncio.ensure_future(self._engine.pull(image, self._pull_timeout_s))
            self._pulls[image] = pending
            pending.add_done_callback(lambda done: self._pulled(image, done))
        try:
            await asyncio.shield(pending)
        except WhiskError as exc:
            log.warning("cannot pull the action's image", image=image, error=exc.message)
            raise pull_failure(image).error() from exc

    def _pulled(self, image: str, done: asyncio.Future[None]) -> None:
        self._pulls.pop(image, None)
        if not done.cancelled() and done.exception() is None:
            log.info("pulled the action's image", image=image)
