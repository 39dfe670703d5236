"""wskdeploy manifests read into what ``whisk deploy`` will create (pure: text in, specs out).

The subset users rely on: ``packages`` (or ``project: {packages}``), each with ``inputs``,
``annotations``, ``public``, ``actions`` (``function``, ``runtime``, ``main``, ``docker``,
``inputs``, ``limits``, ``web``/``web-export``, ``annotations``), ``sequences``
(``actions: "a, b"``), ``triggers`` (``feed``, ``inputs``) and ``rules`` (``trigger``,
``action``). The package ``default`` holds entities deployed outside any package.

Values: ``$VAR`` and ``${VAR}`` come from the environment given; an input whose value is a type
name (``string``, ``integer``...) is that type's zero value, as wskdeploy does. A
``deployment.yaml`` overrides inputs (``apply_deployment``).

Every error names the file, the line and the key: ``manifest.yaml:7: packages.demo.actions.
hello.limits.timeout: must be a positive integer (got 'soon')``. Line numbers come from
PyYAML's node marks (``yaml.compose``).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from cli.artifacts import KIND_BY_EXTENSION
from cli.params import WEB_VALUES, web_annotations
from whisk.errors import InvalidArgument

DEFAULT_PACKAGE = "default"
TYPE_ZEROS: dict[str, Any] = {"string": "", "integer": 0, "float": 0.0, "boolean": False,
                              "json": {}}  # fmt: skip
PARAM_KEYS = {"type", "value", "default", "description", "required", "status", "schema"}
LIMIT_NAMES = {"timeout": "timeout", "memorySize": "memory", "logSize": "logs",
               "concurrentActivations": "concurrency"}  # fmt: skip
IGNORED_LIMITS = {"userInvocationRate", "codeSize", "parameterSize"}
DOC_ONLY = {"version", "license", "outputs", "credential", "namespace", "dependencies"}
PACKAGE_KEYS = {"inputs", "annotations", "public", "actions", "sequences", "triggers", "rules",
                "description"} | DOC_ONLY  # fmt: skip
ACTION_KEYS = {"function", "runtime", "kind", "main", "docker", "inputs", "limits", "web",
               "web-export", "raw-http", "final", "conductor", "annotations", "description",
               "version", "outputs"}  # fmt: skip
SEQUENCE_KEYS = {"actions", "web", "web-export", "annotations", "description", "inputs"}
TRIGGER_KEYS = {"feed", "inputs", "annotations", "description", "source"}
RULE_KEYS = {"trigger", "action", "rule", "description"}
_WHOLE_VAR = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")
_INNER_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9_@.\-][A-Za-z0-9_@.\- ]*$")


class ManifestError(InvalidArgument):
    """A manifest or deployment file breaks a rule; the message names file, line and key."""


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # 1-based
    key: str  # dotted path, e.g. packages.demo.actions.hello

    def error(self, message: str) -> ManifestError:
        where = f"{self.file}:{self.line}: {self.key}" if self.key else f"{self.file}:{self.line}"
        return ManifestError(f"{where}: {message}")

    def child(self, key: str, line: int) -> Location:
        return Location(self.file, line, f"{self.key}.{key}" if self.key else key)


@dataclass(frozen=True)
class PackageSpec:
    name: str
    inputs: Mapping[str, Any]
    annotations: Mapping[str, Any]
    public: bool | None
    loc: Location


@dataclass(frozen=True)
class ActionSpec:
    package: str | None
    name: str
    function: str | None  # path, relative to the manifest's directory already resolved
    kind: str | None  # None only for docker actions
    main: str | None
    docker: str | None
    inputs: Mapping[str, Any]
    annotations: Mapping[str, Any]
    limits: Mapping[str, int]  # wire names: timeout, memory, logs, concurrency
    loc: Location

    @property
    def entity(self) -> str:
        return f"{self.package}/{self.name}" if self.package else self.name


@dataclass(frozen=True)
class SequenceSpec:
    package: str | None
    name: str
    components: tuple[str, ...]  # pkg/name or /ns/pkg/name
    inputs: Mapping[str, Any]
    annotations: Mapping[str, Any]
    loc: Location

    @property
    def entity(self) -> str:
        return f"{self.package}/{self.name}" if self.package else self.name


@dataclass(frozen=True)
class TriggerSpec:
    name: str
    feed: str | None
    inputs: Mapping[str, Any]  # feed parameters when there is a feed
    annotations: Mapping[str, Any]
    loc: Location


@dataclass(frozen=True)
class RuleSpec:
    name: str
    trigger: str
    action: str
    loc: Location


@dataclass(frozen=True)
class Manifest:
    file: str
    packages: tuple[PackageSpec, ...] = ()
    actions: tuple[ActionSpec, ...] = ()
    sequences: tuple[SequenceSpec, ...] = ()
    triggers: tuple[TriggerSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return sum(map(len, (self.packages, self.actions, self.sequences, self.triggers,
                             self.rules)))  # fmt: skip


@dataclass
class _Reader:
    """Walks composed YAML nodes, keeping locations; collects warnings on the way."""

    file: str
    environ: Mapping[str, str]
    warnings: list[str] = field(default_factory=list)

    def compose(self, text: str) -> yaml.Node | None:
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            raise Location(self.file, line, "").error(f"not valid YAML: {exc.problem}") from exc
        except yaml.YAMLError as exc:
            raise Location(self.file, 1, "").error(f"not valid YAML: {exc}") from exc

    def loc(self, node: yaml.Node, key: str = "") -> Location:
        return Location(self.file, node.start_mark.line + 1, key)

    def mapping(
        self, node: yaml.Node, loc: Location, allowed: set[str] | None = None
    ) -> dict[str, tuple[yaml.Node, Location]]:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise loc.error("must be a mapping (key: value lines)")
        out: dict[str, tuple[yaml.Node, Location]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.loc(key_node, loc.key).error("keys must be plain names")
            key = str(key_node.value)
            child = loc.child(key, key_node.start_mark.line + 1)
            if key in out:
                raise child.error("appears twice")
            if allowed is not None and key not in allowed:
                known = ", ".join(sorted(allowed - DOC_ONLY))
                raise child.error(f"unknown key '{key}' (known here: {known})")
            out[key] = (value_node, child)
        return out

    def value(self, node: yaml.Node, loc: Location) -> Any:
        try:
            raw = SafeConstructor().construct_object(node, deep=True)
        except ConstructorError as exc:
            raise loc.error(f"cannot read the value: {exc.problem}") from exc
        return self.substitute(raw, loc)

    def substitute(self, value: Any, loc: Location) -> Any:
        if isinstance(value, str):
            return self._interpolate(value, loc)
        if isinstance(value, list):
            return [self.substitute(v, loc) for v in value]
        if isinstance(value, dict):
            return {k: self.substitute(v, loc) for k, v in value.items()}
        return value

    def _interpolate(self, text: str, loc: Location) -> str:
        def lookup(name: str) -> str:
            if name not in self.environ:
                self.warnings.append(f"{loc.file}:{loc.line}: {loc.key}: ${name} is not set")
                return ""
            return self.environ[name]

        whole = _WHOLE_VAR.match(text)
        if whole and (text.startswith("${") == text.endswith("}")):
            return lookup(whole.group(1))
        return _INNER_VAR.sub(lambda m: lookup(m.group(1)), text)

    def text(self, node: yaml.Node, loc: Location) -> str:
        value = self.value(node, loc)
        if not isinstance(value, str | int | float) or isinstance(value, bool) or value == "":
            raise loc.error("must be a non-empty string")
        return str(value)

    def name(self, key: str, loc: Location) -> str:
        if not _NAME.match(key) or len(key) > 256:
            raise loc.error(f"'{key}' is not a valid entity name")
        return key

    def boolean(self, node: yaml.Node, loc: Location) -> bool:
        value = self.value(node, loc)
        if isinstance(value, str) and value.lower() in ("true", "yes", "false", "no"):
            return value.lower() in ("true", "yes")
        if not isinstance(value, bool):
            raise loc.error(f"must be true or false (got {value!r})")
        return value

    # -- inputs and annotations ---------------------------------------------------------------
    def inputs(self, node: yaml.Node, loc: Location) -> dict[str, Any]:
        return {key: self.input(value, child) for key, (value, child) in
                self.mapping(node, loc).items()}  # fmt: skip

    def input(self, node: yaml.Node, loc: Location) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str"):
            if node.value in TYPE_ZEROS:
                return _zero(node.value)
        if isinstance(node, yaml.MappingNode):
            keys = {str(k.value) for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
            if keys and keys <= PARAM_KEYS and keys & {"type", "value", "default"}:
                return self._typed_input(node, loc)
        return self.value(node, loc)

    def _typed_input(self, node: yaml.Node, loc: Location) -> Any:
        parts = self.mapping(node, loc)
        declared = None
        if "type" in parts:
            declared = self.text(*parts["type"])
            if declared not in TYPE_ZEROS:
                types = ", ".join(TYPE_ZEROS)
                raise parts["type"][1].error(f"unknown type '{declared}' (use one of {types})")
        for key in ("value", "default"):
            if key in parts:
                value = self.value(*parts[key])
                return value if declared is None else _coerce(value, declared, parts[key][1])
        return _zero(declared or "string")

    def annotations(self, node: yaml.Node, loc: Location) -> dict[str, Any]:
        return {k: self.value(v, c) for k, (v, c) in self.mapping(node, loc).items()}


def _zero(type_name: str) -> Any:
    zero = TYPE_ZEROS[type_name]
    return {} if isinstance(zero, dict) else zero


def _coerce(value: Any, type_name: str, loc: Location) -> Any:
    """A value of the declared type; strings (from ``$VAR``s) are converted."""
    checks: dict[str, Any] = {"string": str, "integer": int, "float": (int, float),
                              "boolean": bool, "json": (dict, list)}  # fmt: skip
    ok = isinstance(value, checks[type_name])
    if ok and not (type_name in ("integer", "float") and isinstance(value, bool)):
        return float(value) if type_name == "float" else value
    if isinstance(value, str):
        try:
            if type_name == "integer":
                return int(value)
            if type_name == "float":
                return float(value)
            if type_name == "boolean" and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if type_name == "json":
                return json.loads(value)
        except ValueError:
            pass
    if type_name == "string" and value is not None:
        return str(value)
    raise loc.error(f"is declared {type_name} but its value is {value!r}")


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


# -- the manifest --------------------------------------------------------------------------------


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
    entities = [(f"action {s.entity}", s.loc) for s in (*specs.actions, *specs.sequences)]
    entities += [(f"trigger {t.name}", t.loc) for t in specs.triggers]
    entities += [(f"rule {r.name}", r.loc) for r in specs.rules]
    for what, loc in entities:
        if what in seen:
            first = seen[what]
            raise loc.error(f"{what} is defined twice (first at {first.file}:{first.line})")
        seen[what] = loc


# -- deployment.yaml -----------------------------------------------------------------------------


def apply_deployment(
    manifest: Manifest, text: str, file: str, environ: Mapping[str, str]
) -> Manifest:
    """``manifest`` with the inputs of a deployment file over its own (key by key)."""
    reader = _Reader(file, environ)
    root = reader.compose(text)
    if root is None:
        return manifest
    top = reader.mapping(root, Location(file, 1, ""), {"packages", "project"})
    if "project" in top:
        top = reader.mapping(*top["project"], {"name", "packages"} | DOC_ONLY)
    packages = {p.name: p for p in manifest.packages}
    actions = {a.entity: a for a in manifest.actions}
    triggers = {t.name: t for t in manifest.triggers}
    pkg_keys = {"inputs", "actions", "triggers"} | DOC_ONLY
    nodes = reader.mapping(*top["packages"]) if "packages" in top else {}
    for pkg_name, (node, loc) in nodes.items():
        package = None if pkg_name == DEFAULT_PACKAGE else pkg_name
        parts = reader.mapping(node, loc, pkg_keys)
        if package is not None and package not in packages:
            raise loc.error(f"package '{pkg_name}' is not in {manifest.file}")
        if "inputs" in parts and package is not None:
            spec = packages[package]
            packages[package] = replace(
                spec, inputs={**spec.inputs, **reader.inputs(*parts["inputs"])}
            )
        for name, (n, c) in _section(reader, parts, "actions").items():
            entity = _in_package(package, name)
            if entity not in actions:
                raise c.error(f"action '{entity}' is not in {manifest.file}")
            found = actions[entity]
            actions[entity] = replace(found, inputs={**found.inputs, **_override(reader, n, c)})
        for name, (n, c) in _section(reader, parts, "triggers").items():
            if name not in triggers:
                raise c.error(f"trigger '{name}' is not in {manifest.file}")
            trig = triggers[name]
            triggers[name] = replace(trig, inputs={**trig.inputs, **_override(reader, n, c)})
    return replace(
        manifest,
        packages=tuple(packages.values()),
        actions=tuple(actions.values()),
        triggers=tuple(triggers.values()),
        warnings=(*manifest.warnings, *reader.warnings),
    )


def _override(reader: _Reader, node: yaml.Node, loc: Location) -> dict[str, Any]:
    parts = reader.mapping(node, loc, {"inputs"} | DOC_ONLY)
    return reader.inputs(*parts["inputs"]) if "inputs" in parts else {}


def _section(
    reader: _Reader, parts: dict[str, tuple[yaml.Node, Location]], key: str
) -> dict[str, tuple[yaml.Node, Location]]:
    return reader.mapping(*parts[key]) if key in parts else {}
