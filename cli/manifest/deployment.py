"""apply_deployment: a deployment.yaml's inputs laid over a parsed Manifest, key by key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import yaml

from cli.manifest.location import Location
from cli.manifest.parse import _in_package
from cli.manifest.reader import DOC_ONLY, _Reader
from cli.manifest.specs import DEFAULT_PACKAGE, Manifest


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
