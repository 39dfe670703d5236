"""The invoker's automatic choice of container factory: Docker only when the engine answers and
the runtime images exist; otherwise the process sandbox (with a loud warning)."""

from __future__ import annotations

import pytest

from invoker.containers.docker import DockerFactory
from invoker.containers.process import ProcessFactory
from invoker.main import FactoryChoice, InvokerSettings, make_factory, missing_images
from tests.integration.conftest import PYTHON_IMAGE

pytestmark = pytest.mark.docker


async def test_missing_images_names_only_the_absent(docker_engine: None) -> None:
    host = InvokerSettings().docker_host
    assert await missing_images(host, [PYTHON_IMAGE, "whisk/no-such-runtime:0"]) == [
        "whisk/no-such-runtime:0"
    ]


async def test_auto_uses_docker_only_when_the_images_exist(docker_engine: None) -> None:
    settings = InvokerSettings(factory=FactoryChoice.AUTO, instance=97)
    with_images = await make_factory(settings, [PYTHON_IMAGE])
    without = await make_factory(settings, ["whisk/no-such-runtime:0"])
    try:
        assert isinstance(with_images, DockerFactory)
        assert isinstance(without, ProcessFactory)
    finally:
        await with_images.close()
        await without.close()
