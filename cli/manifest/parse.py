"""parse_manifest: a manifest.yaml's text into a Manifest of specs (pure: text in, specs out).

Reads ``packages`` (or ``project: {packages}``) and, in each package, its actions, sequences,
triggers and rules, checking every key; then checks that no entity is defined twice.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from cli.artifacts import KIND_BY_EXTENSION, NATIVE_IMAGE
from cli.manifest.location import Location
from cli.manifest.reader import DOC_ONLY, _Reader
from cli.manifest.specs import (
    DEFAULT_PACKAGE,
    ActionSpec,
    Manifest,
    PackageSpec,
    RuleSpec,
    SequenceSpec,
    TriggerSpec,
)
from cli.params import WEB_VALUES, web_annotations

LIMIT_NAMES = {"timeout": "timeout", "memorySize": "memory", "logSize": "logs",
               "concurrentActivations": "concurrency"}  # fmt: skip
IGNORED_LIMITS = {"userInvocationRate", "codeSize", "parameterSize"}
PACKAGE_KEYS = {"inputs", "annotations", "public", "actions", "sequences", "triggers", "rules",
                "description"} | DOC_ONLY  # fmt: skip
ACTION_KEYS = {"function", "runtime", "kind", "main", "docker", "native", "inputs", "limits",
               "web", "web-export", "raw-http", "final", "conductor", "annotations",
               "description", "version", "outputs"}  # fmt: skip
SEQUENCE_KEYS = {"actions", "web", "web-export", "annotations", "description", "inputs"}
TRIGGER_KEYS = {"feed", "inputs", "annotations", "description", "source"}
RULE_KEYS = {"trigger", "action", "rule", "description"}


def runtime_kind(runtime: str, loc: Location) -> str:
    """``python:3.11``, ``nodejs@20`` (old docs) -> ``nodejs:20``, ``python`` -> default."""
    kind = runtime.strip().replace("@", ":")
    if ":" not in kind:
        kind = f"{kind}:default"
    family, _, version = kind.partition(":")
    if not family or not version:
        raise loc.error(f"'{runtime}' is not a runtime kind (e.g. python:3.11, nodejs:20)")
    return kind


def infer_kind(function: str, loc: Location) -> str:
    suffix = posixpath.splitext(function)[1].lower()
    kind = KIND_BY_EXTENSION.get(suffix)
    if kind is None:
        what = "a zip" if suffix == ".zip" else "a directory" if not suffix else f"'{suffix}'"
        raise loc.error(
            f"needs 'runtime' (e.g. python:3.11 or nodejs:20): the kind of {what} "
            "cannot be inferred"
        )
    return kind


def web_notes(node: yaml.Node, loc: Location, reader: _Reader) -> dict[str, Any]:
    value = reader.value(node, loc)
    text = str(value).lower()
    if text not in WEB_VALUES:
        raise loc.error(f"must be true, false, yes, no or raw (got {value!r})")
    return dict(web_annotations(text))


def parse_manifest(
    text: str, file: str, environ: Mapping[str, str], base_dir: str = "."
) -> Manifest:
    """The specs of a manifest; ``function`` paths are resolved against ``base_dir``."""
    reader = _Reader(file, environ)
    root = reader.compose(text)
    if root is None:
        raise Location(file, 1, "").error("is empty: expected 'packages:' or 'project:'")
    top = reader.mapping(root, Location(file, 1, ""), {"packages", "project"})
    if "project" in top:
        if "packages" in top:
            raise top["packages"][1].error("give 'packages' at the top or under 'project'")
        node, loc = top["project"]
        project = reader.mapping(node, loc, {"name", "packages"} | DOC_ONLY)
        top = {"packages": project["packages"]} if "packages" in project else {}
    if "packages" not in top:
        raise Location(file, 1, "").error("has no 'packages:' (nothing to deploy)")
    specs = _Specs()
    for name, (node, loc) in reader.mapping(*top["packages"]).items():
        _package(reader, specs, reader.name(name, loc), node, loc, base_dir)
    _check_unique(specs)
    return Manifest(file, tuple(specs.packages), tuple(specs.actions), tuple(specs.sequences),
                    tuple(specs.triggers), tuple(specs.rules), tuple(reader.warnings))  # fmt: skip


@dataclass
class _Specs:
    packages: list[PackageSpec] = field(default_factory=list)
    actions: list[ActionSpec] = field(default_factory=list)
    sequences: list[SequenceSpec] = field(default_factory=list)
    triggers: list[TriggerSpec] = field(default_factory=list)
    rules: list[RuleSpec] = field(default_factory=list)


def _package(
    r: _Reader, specs: _Specs, name: str, node: yaml.Node, loc: Location, base_dir: str
) -> None:
    parts = r.mapping(node, loc, PACKAGE_KEYS)
    package = None if name == DEFAULT_PACKAGE else name
    if package is not None:
        notes = r.annotations(*parts["annotations"]) if "annotations" in parts else {}
        if "description" in parts:
            notes.setdefault("description", r.text(*parts["description"]))
        specs.packages.append(PackageSpec(
            name, r.inputs(*parts["inputs"]) if "inputs" in parts else {}, notes,
            r.boolean(*parts["public"]) if "public" in parts else None, loc,
        ))  # fmt: skip
    elif "inputs" in parts or "public" in parts:
        key = "inputs" if "inputs" in parts else "public"
        raise parts[key][1].error("the 'default' package is no package: it takes no " + key)
    for key, reader_of in (("actions", _action), ("sequences", _sequence)):
        if key in parts:
            for entity, (n, c) in r.mapping(*parts[key]).items():
                spec = reader_of(r, package, r.name(entity, c), n, c, base_dir)
                (specs.actions if key == "actions" else specs.sequences).append(spec)  # type: ignore[arg-type]
    if "triggers" in parts:
        for entity, (n, c) in r.mapping(*parts["triggers"]).items():
            specs.triggers.append(_trigger(r, r.name(entity, c), n, c))
    if "rules" in parts:
        for entity, (n, c) in r.mapping(*parts["rules"]).items():
            specs.rules.append(_rule(r, package, r.name(entity, c), n, c))


def _in_package(package: str | None, name: str) -> str:
    """A name relative to the package it is written in (qualified names are kept)."""
    return name if "/" in name or package is None else f"{package}/{name}"


def _action(
    r: _Reader, package: str | None, name: str, node: yaml.Node, loc: Location, base_dir: str
) -> ActionSpec:
    parts = r.mapping(node, loc, ACTION_KEYS)
    if "runtime" in parts and "kind" in parts:
        raise parts["kind"][1].error("give 'runtime' or 'kind', not both")
    docker = r.text(*parts["docker"]) if "docker" in parts else None
    if "native" in parts and r.boolean(*parts["native"]):
        if docker is not None:
            raise parts["native"][1].error("give 'native' or 'docker', not both")
        if "function" not in parts:
            raise parts["native"][1].error(
                "needs 'function' (an executable, or a zip or directory with exec at its root)"
            )
        docker = NATIVE_IMAGE  # as wskdeploy: the docker skeleton runs the function
    function = None
    if "function" in parts:
        function = posixpath.normpath(posixpath.join(base_dir, r.text(*parts["function"])))
    elif docker is None:
        raise loc.error("needs 'function' (the action's source file or directory)")
    runtime = parts.get("runtime") or parts.get("kind")
    kind = None
    if runtime is not None:
        if docker is not None:
            raise runtime[1].error("a 'docker' action takes no runtime")
        kind = runtime_kind(r.text(*runtime), runtime[1])
    elif docker is None:
        kind = infer_kind(function or "", parts["function"][1])
    notes = r.annotations(*parts["annotations"]) if "annotations" in parts else {}
    notes.update(_web(r, parts, loc))
    for key in ("final", "conductor"):
        if key in parts:
            notes[key] = r.boolean(*parts[key])
    if "description" in parts:
        notes.setdefault("description", r.text(*parts["description"]))
    return ActionSpec(
        package, name, function, kind, r.text(*parts["main"]) if "main" in parts else None,
        docker, r.inputs(*parts["inputs"]) if "inputs" in parts else {}, notes,
        _limits(r, *parts["limits"]) if "limits" in parts else {}, loc,
    )  # fmt: skip


def _web(r: _Reader, parts: dict[str, tuple[yaml.Node, Location]], loc: Location) -> dict[str, Any]:
    if "web" in parts and "web-export" in parts:
        raise parts["web-export"][1].error("give 'web' or 'web-export', not both")
    chosen = parts.get("web") or parts.get("web-export")
    notes = web_notes(*chosen, r) if chosen else {}
    if "raw-http" in parts and r.boolean(*parts["raw-http"]):
        if not notes.get("web-export"):
            raise parts["raw-http"][1].error("needs 'web: true'")
        notes["raw-http"] = True
    return notes


def _limits(r: _Reader, node: yaml.Node, loc: Location) -> dict[str, int]:
    allowed = set(LIMIT_NAMES) | IGNORED_LIMITS
    limits: dict[str, int] = {}
    for key, (value_node, child) in r.mapping(node, loc, allowed).items():
        value = r.value(value_node, child)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise child.error(f"must be a positive integer (got {value!r})")
        if key in IGNORED_LIMITS:
            r.warnings.append(f"{child.file}:{child.line}: {child.key}: ignored by whisk deploy")
        else:
            limits[LIMIT_NAMES[key]] = value
    return limits


def _sequence(
    r: _Reader, package: str | None, name: str, node: yaml.Node, loc: Location, _base: str
) -> SequenceSpec:
    parts = r.mapping(node, loc, SEQUENCE_KEYS)
    if "actions" not in parts:
        raise loc.error("needs 'actions' (a comma-separated list of action names)")
    listed = r.value(*parts["actions"])
    names = listed if isinstance(listed, list) else str(listed or "").split(",")
    components = tuple(_in_package(package, str(n).strip()) for n in names if str(n).strip())
    if not components:
        raise parts["actions"][1].error("lists no actions")
    notes = r.annotations(*parts["annotations"]) if "annotations" in parts else {}
    notes.update(_web(r, parts, loc))
    inputs = r.inputs(*parts["inputs"]) if "inputs" in parts else {}
    return SequenceSpec(package, name, components, inputs, notes, loc)


def _trigger(r: _Reader, name: str, node: yaml.Node, loc: Location) -> TriggerSpec:
    parts = r.mapping(node, loc, TRIGGER_KEYS)
    feed = r.text(*parts["feed"]) if "feed" in parts else None
    notes = r.annotations(*parts["annotations"]) if "annotations" in parts else {}
    if "description" in parts:
        notes.setdefault("description", r.text(*parts["description"]))
    if "feed" in notes:
        raise parts["annotations"][1].error("give the feed with 'feed:', not as an annotation")
    inputs = r.inputs(*parts["inputs"]) if "inputs" in parts else {}
    return TriggerSpec(name, feed, inputs, notes, loc)


def _rule(r: _Reader, package: str | None, name: str, node: yaml.Node, loc: Location) -> RuleSpec:
    parts = r.mapping(node, loc, RULE_KEYS)
    for key in ("trigger", "action"):
        if key not in parts:
            raise loc.error(f"needs '{key}'")
    if "rule" in parts and r.value(*parts["rule"]) is not True:
        raise parts["rule"][1].error("only 'rule: true' is supported")
    trigger = r.text(*parts["trigger"])
    if "/" in trigger.strip("/") and not trigger.startswith("/"):
        raise parts["trigger"][1].error("triggers are not in packages: give NAME or /NS/NAME")
    action = _in_package(package, r.text(*parts["action"]))
    return RuleSpec(name, trigger, action, loc)


def _check_unique(specs: _Specs) -> None:
    seen: dict[str, Location] = {}
    actions: list[ActionSpec | SequenceSpec] = [*specs.actions, *specs.sequences]
    entities = [(f"action {s.entity}", s.loc) for s in actions]
    entities += [(f"trigger {t.name}", t.loc) for t in specs.triggers]
    entities += [(f"rule {r.name}", r.loc) for r in specs.rules]
    for what, loc in entities:
        if what in seen:
            first = seen[what]
            raise loc.error(f"{what} is defined twice (first at {first.file}:{first.line})")
        seen[what] = loc
