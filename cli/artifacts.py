"""The ``exec`` of an action from wsk's flags and artifact file (pure decisions, plus reading
the file named on the command line), and a directory zipped as an action's code."""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.names import parse_name
from whisk.errors import InvalidArgument

KIND_BY_EXTENSION = {
    ".js": "nodejs:default",
    ".py": "python:default",
    ".jar": "java:default",
    ".swift": "swift:default",
    ".php": "php:default",
    ".rb": "ruby:default",
    ".rs": "rust:default",
    ".go": "go:default",
    ".balx": "ballerina:default",
}
BINARY_EXTENSIONS = (".zip", ".jar", ".balx")
NATIVE_IMAGE = "openwhisk/dockerskeleton"  # wsk --native: the skeleton that runs an executable
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the same directory zips to the same bytes


@dataclass(frozen=True)
class ExecFlags:
    artifact: str | None
    kind: str | None = None
    main: str | None = None
    docker: str | None = None
    sequence: bool = False
    native: bool = False


def infer_kind(artifact: str) -> str:
    suffix = Path(artifact).suffix.lower()
    if suffix == ".zip":
        raise InvalidArgument(
            "creating an action from a .zip artifact requires specifying the action kind "
            "explicitly: add --kind (e.g. --kind python:default or --kind nodejs:default)."
        )
    kind = KIND_BY_EXTENSION.get(suffix)
    if kind is None:
        shown = suffix or Path(artifact).name
        raise InvalidArgument(
            f"'{shown}' is not a supported action runtime: give the kind with --kind "
            "(e.g. --kind python:default)."
        )
    return kind


def read_code(artifact: str) -> str:
    """Text files as text; zips, jars and balx as base64."""
    path = Path(artifact)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidArgument(f"File '{artifact}' is not a valid file: {exc.strerror}.") from exc
    if path.suffix.lower() in BINARY_EXTENSIONS:
        return base64.b64encode(raw).decode()
    try:
        return raw.decode()
    except UnicodeDecodeError as exc:
        raise InvalidArgument(
            f"File '{artifact}' is not a text file: put a program in a .zip file, "
            "named exec at its root (e.g. zip action.zip exec)."
        ) from exc


def saved_code(exec_doc: dict[str, Any], name: str) -> tuple[str, bytes]:
    """What ``action get --save`` writes: the default file name (the action's name with its
    kind's extension, none for a blackbox script; ``.zip`` for binary code other than a jar)
    and the code's bytes. Sequences and Docker images with no code have nothing to save."""
    kind = str(exec_doc.get("kind", ""))
    if kind == "sequence":
        raise InvalidArgument("Cannot save action sequences.")
    code = exec_doc.get("code")
    if not isinstance(code, str) or (kind == "blackbox" and not code):
        raise InvalidArgument("Cannot save Docker images.")
    if kind == "blackbox" and not exec_doc.get("binary"):
        return name, code.encode()
    language = kind.split(":", 1)[0]
    extension = next(
        (ext for ext, known in KIND_BY_EXTENSION.items() if known.split(":", 1)[0] == language),
        ".txt",
    )
    if exec_doc.get("binary"):
        if extension not in BINARY_EXTENSIONS:
            extension = ".zip"
        try:
            return name + extension, base64.b64decode(code, validate=True)
        except ValueError as exc:
            raise InvalidArgument("The action's binary code is not valid base64.") from exc
    return name + extension, code.encode()


def sequence_exec(components: str, default_namespace: str) -> dict[str, Any]:
    names = [c.strip() for c in components.split(",") if c.strip()]
    if not names:
        raise InvalidArgument("A sequence needs a comma-separated list of action names.")
    qualified = [str(parse_name(n, default_namespace)) for n in names]
    return {"kind": "sequence", "components": qualified}


def build_exec(flags: ExecFlags, default_namespace: str) -> dict[str, Any] | None:
    """The ``exec`` to send, or None when an update changes no code."""
    if flags.sequence:
        if flags.kind or flags.docker or flags.native:
            raise InvalidArgument(
                "--sequence cannot be combined with --kind, --docker or --native."
            )
        if not flags.artifact:
            raise InvalidArgument("--sequence needs a comma-separated list of action names.")
        return sequence_exec(flags.artifact, default_namespace)
    if flags.native:
        if flags.kind or flags.docker:
            raise InvalidArgument("--native cannot be combined with --kind or --docker.")
        if not flags.artifact:
            raise InvalidArgument(
                "--native needs an executable: a script with a shebang, or a .zip file with "
                "an executable named exec at its root."
            )
    image = NATIVE_IMAGE if flags.native else flags.docker
    if image:
        if flags.kind:
            raise InvalidArgument("Cannot specify both --kind and --docker at the same time.")
        exec_: dict[str, Any] = {"kind": "blackbox", "image": image}
        if flags.artifact:
            exec_["code"] = read_code(flags.artifact)
    elif flags.artifact:
        kind = flags.kind or infer_kind(flags.artifact)
        exec_ = {"kind": kind, "code": read_code(flags.artifact)}
    elif flags.kind or flags.main:
        raise InvalidArgument("An action file is required with --kind or --main.")
    else:
        return None
    if flags.main:
        exec_["main"] = flags.main
    if exec_.get("kind", "").startswith("java") and not flags.main:
        raise InvalidArgument(
            "Java actions require --main to specify the fully-qualified name of the main class."
        )
    return exec_


def zip_directory(directory: Path) -> str:
    """The directory's files (at the zip's root, sorted, fixed times) as base64."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            relative = path.relative_to(directory)
            if "__pycache__" in relative.parts or relative.name.endswith(".pyc"):
                continue
            info = zipfile.ZipInfo(relative.as_posix(), FIXED_ZIP_TIME)
            info.external_attr = (path.stat().st_mode & 0o777) << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return base64.b64encode(buffer.getvalue()).decode()
