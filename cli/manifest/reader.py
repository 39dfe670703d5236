"""Walking composed YAML nodes with their locations: mappings, values and inputs (pure).

``$VAR`` and ``${VAR}`` come from the environment given (an unset one warns and reads as
``""``); an input whose value is a type name (``string``, ``integer``...) is that type's zero
value, and ``{type, value}`` inputs are coerced to the declared type, as wskdeploy does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from cli.manifest.location import Location

TYPE_ZEROS: dict[str, Any] = {"string": "", "integer": 0, "float": 0.0, "boolean": False,
                              "json": {}}  # fmt: skip
PARAM_KEYS = {"type", "value", "default", "description", "required", "status", "schema"}
DOC_ONLY = {"version", "license", "outputs", "credential", "namespace", "dependencies"}
_WHOLE_VAR = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")
_INNER_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9_@.\-][A-Za-z0-9_@.\- ]*$")


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
