"""From an activation message and its action to what the pool runs, and the records of
activations that never ran (pure: no I/O)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from invoker.containers.ports import Transport
from invoker.pool.requests import ExecSpec, RunLimits, RunRequest
from whisk.entities.action import Action
from whisk.entities.activation import (
    Activation,
    ActivationId,
    ActivationResponse,
    annotation,
)
from whisk.entities.encryption import ParameterEncryption
from whisk.entities.exec import BlackboxExec, CodeExec
from whisk.entities.parameters import Parameters
from whisk.entities.runtimes import RuntimeManifest
from whisk.errors import InvalidArgument
from whisk.messages import ActivationMessage
from whisk.store.ports import EntityKey

NO_ENCRYPTION = ParameterEncryption()


def entity_key(message: ActivationMessage) -> EntityKey:
    namespace, _, package = message.action.path.partition("/")
    return EntityKey(namespace, message.action.name, package or None)


def passed_annotations(message: ActivationMessage) -> tuple[dict[str, Any], ...]:
    """The record annotations the controller passed (``binding``, ``causedBy``)."""
    return message.annotations


def package_of(message: ActivationMessage) -> str | None:
    """The record's package column, as the controller wrote the pending record: the binding's
    name when invoked through one, else the package segment of the action's path."""
    for note in passed_annotations(message):
        if note["key"] == "binding" and isinstance(note.get("value"), str):
            return str(note["value"]).rsplit("/", 1)[-1]
    return entity_key(message).package


def exec_spec(action: Action, manifest: RuntimeManifest) -> ExecSpec:
    match action.exec:
        case CodeExec(kind=kind, code=code, binary=binary, main=main):
            runtime = manifest.kinds.get(kind)
            if runtime is None:
                raise InvalidArgument(f"The runtime kind '{kind}' is not available here.")
            return ExecSpec(
                kind=kind,
                image=runtime.image,
                code=code,
                binary=binary,
                main=main or "main",
                sentinelled_logs=bool(runtime.raw.get("sentinelledLogs", True)),
            )
        case BlackboxExec(image=image, code=code, binary=binary, main=main):
            # the manifest's skeleton (--native) is our proxy: our transport, never pulled
            native = manifest.is_native(image)
            return ExecSpec(
                kind=action.exec.kind,
                image=image,
                code=code,
                binary=binary,
                main=main or "main",
                transport=Transport.UNIX if native else Transport.TCP,
                native=native,
            )
    raise InvalidArgument("Sequences run in the controller, not in an invoker.")


def run_request(
    message: ActivationMessage,
    action: Action,
    revision: str,
    manifest: RuntimeManifest,
    encryption: ParameterEncryption = NO_ENCRYPTION,
) -> RunRequest:
    """What the pool runs for ``message``. Init parameters are the action's parameters marked
    ``init``; values the message carries in ``content`` for the names in ``initArgs`` win.
    Encrypted values are decrypted here, for the container only: the ``content`` names in
    ``lockedArgs`` and encrypted init parameters (DecryptionFailed when they cannot be)."""
    init = Parameters(tuple(kv for kv in action.parameters.items if kv.init))
    init_params = encryption.unlock(init).as_dict()
    content = encryption.unlock_arguments(message.content, message.locked_args)
    if isinstance(content, dict):
        init_params.update({k: content[k] for k in message.init_args if k in content})
    limits = action.limits
    return RunRequest(
        activation_id=ActivationId(message.activation_id),
        transaction_id=message.transid.id,
        namespace=message.user.namespace,
        subject=message.user.subject,
        action=str(entity_key(message).path),
        version=str(action.version),
        revision=revision,
        exec=exec_spec(action, manifest),
        limits=RunLimits(limits.timeout, limits.memory, limits.logs, limits.concurrency),
        wait_start_ms=(
            message.transid.start_ms if message.wait_start_ms is None else message.wait_start_ms
        ),
        params=content if content is not None else {},
        init_params=init_params,
        api_key=message.api_key,
        cause=ActivationId(message.cause) if message.cause else None,
        annotations=passed_annotations(message),
    )


def failed_activation(
    message: ActivationMessage, response: ActivationResponse, now_ms: int
) -> Activation:
    """The record of an activation that ended before it could run."""
    return Activation(
        namespace=message.user.namespace,
        name=message.action.name,
        version=message.action.version or "0.0.1",
        subject=message.user.subject,
        activation_id=ActivationId(message.activation_id),
        start=now_ms,
        end=now_ms,
        response=response,
        annotations=[annotation("path", entity_key(message).path), *passed_annotations(message)],
        cause=ActivationId(message.cause) if message.cause else None,
    )


class ActionCache:
    """Actions by key and store revision, least recently used out first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[EntityKey, tuple[str, Action]] = OrderedDict()

    def get(self, key: EntityKey, revision: str | None) -> Action | None:
        entry = self._entries.get(key)
        if entry is None or revision is None or entry[0] != revision:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: EntityKey, revision: str, action: Action) -> None:
        self._entries[key] = (revision, action)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
