"""``whisk deploy`` / ``whisk undeploy``: a wskdeploy manifest (``cli.manifest``) made real.

``plan_deploy`` and ``plan_undeploy`` are pure: the manifest's entities in order (packages,
actions, sequences, triggers, rules; undeploy in reverse) as API calls. The commands run the
plan, one progress line per entity (``[3/9] action demo/hello ... ok``); the first failure stops
the run and says which entity failed and why.

Idempotent: every PUT has ``overwrite=true``, so deploying twice changes nothing but versions
(a feed trigger is unregistered from its feed and registered again). Undeploy deletes what
exists and reports ``absent`` for what does not. Feed triggers go through the feed lifecycle of
``whisk trigger create --feed`` (``cli.feeds.run_feed``): CREATE after the PUT (the trigger is
removed again when it fails), DELETE before the trigger is deleted.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import click

from cli.artifacts import read_code, zip_directory
from cli.client import ApiError
from cli.command import (
    Failure,
    PlainCommand,
    Session,
    calling,
    connection_params,
    load_config,
    session,
)
from cli.feeds import run_feed
from cli.manifest.deployment import apply_deployment
from cli.manifest.location import Location, ManifestError
from cli.manifest.parse import parse_manifest
from cli.manifest.specs import Manifest
from cli.names import QualifiedName, namespace_path, parse_name
from cli.output import ok
from cli.params import annotation_value, key_values
from whisk.errors import InvalidArgument

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml")
DEPLOYMENT_NAMES = ("deployment.yaml", "deployment.yml")
MANIFEST_HINT = (
    "Fix the file and run the command again. The format is wskdeploy's: packages -> actions "
    "(function, runtime, main, inputs, limits, web), sequences, triggers (feed, inputs), rules."
)


class Noun(StrEnum):
    PACKAGE = "package"
    ACTION = "action"
    SEQUENCE = "sequence"
    TRIGGER = "trigger"
    RULE = "rule"

    @property
    def collection(self) -> str:
        return "actions" if self is Noun.SEQUENCE else f"{self.value}s"


@dataclass(frozen=True)
class Step:
    """One API call of a plan. An action's code is read when the step runs (``code_from``)."""

    noun: Noun
    qn: QualifiedName
    body: Mapping[str, Any] = field(default_factory=dict)
    code_from: str | None = None
    code_loc: Location | None = None
    feed: str | None = None  # fully qualified feed action of a trigger
    feed_params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"{namespace_path(self.qn.namespace)}/{self.noun.collection}/{self.qn.path}"

    @property
    def label(self) -> str:
        shown = f"{self.noun.value} {self.qn.entity}"
        return f"{shown} (feed {self.feed})" if self.feed else shown


def _params(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    return key_values(dict(values))


def plan_deploy(manifest: Manifest, namespace: str) -> list[Step]:
    """PUTs in dependency order: packages, actions, sequences, triggers, rules."""
    steps: list[Step] = []
    for p in manifest.packages:
        body: dict[str, Any] = {"parameters": _params(p.inputs)}
        if p.annotations:
            body["annotations"] = _params(p.annotations)
        if p.public is not None:
            body["publish"] = p.public
        steps.append(Step(Noun.PACKAGE, QualifiedName(namespace, p.name), body))
    for a in manifest.actions:
        exec_: dict[str, Any] = {"kind": "blackbox", "image": a.docker} if a.docker else {
            "kind": a.kind}  # fmt: skip
        if a.main:
            exec_["main"] = a.main
        body = {"exec": exec_, "parameters": _params(a.inputs)}
        if a.annotations:
            body["annotations"] = _params(a.annotations)
        if a.limits:
            body["limits"] = dict(a.limits)
        qn = QualifiedName(namespace, a.name, a.package)
        steps.append(Step(Noun.ACTION, qn, body, a.function, a.loc))
    for s in manifest.sequences:
        components = [str(parse_name(c, namespace)) for c in s.components]
        body = {"exec": {"kind": "sequence", "components": components},
                "parameters": _params(s.inputs)}  # fmt: skip
        if s.annotations:
            body["annotations"] = _params(s.annotations)
        steps.append(Step(Noun.SEQUENCE, QualifiedName(namespace, s.name, s.package), body))
    for t in manifest.triggers:
        notes = dict(t.annotations)
        feed = str(parse_name(t.feed, namespace)) if t.feed else None
        if feed:
            notes["feed"] = feed
        body = {"parameters": [] if feed else _params(t.inputs), "annotations": _params(notes)}
        qn = QualifiedName(namespace, t.name)
        steps.append(Step(Noun.TRIGGER, qn, body, feed=feed, feed_params=t.inputs if feed else {}))
    for r in manifest.rules:
        body = {
            "trigger": str(parse_name(r.trigger, namespace, allow_package=False)),
            "action": str(parse_name(r.action, namespace)),
        }
        steps.append(Step(Noun.RULE, QualifiedName(namespace, r.name), body))
    return steps


def plan_undeploy(manifest: Manifest, namespace: str) -> list[Step]:
    """DELETEs in reverse dependency order: rules, triggers, sequences, actions, packages."""
    return [Step(s.noun, s.qn) for s in reversed(plan_deploy(manifest, namespace))]


# -- reading files -------------------------------------------------------------------------------


def find_file(given: str | None, names: tuple[str, ...], what: str) -> Path:
    if given:
        path = Path(given)
        if not path.is_file():
            raise Failure(f"The {what} '{given}' does not exist.", f"Give an existing {what} file.")
        return path
    for name in names:
        if Path(name).is_file():
            return Path(name)
    raise Failure(
        f"No {what} here ({' or '.join(names)}).", "Give one with -m FILE, or cd to the project."
    )


def load_manifest(manifest: str | None, deployment: str | None) -> Manifest:
    path = find_file(manifest, MANIFEST_NAMES, "manifest")
    parsed = parse_manifest(_read(path), str(path), os.environ, str(path.parent))
    deployment_path: Path | None = None
    if deployment:
        deployment_path = find_file(deployment, DEPLOYMENT_NAMES, "deployment file")
    else:
        deployment_path = next(
            (path.parent / n for n in DEPLOYMENT_NAMES if (path.parent / n).is_file()), None
        )
    if deployment_path is not None:
        click.echo(f"using deployment file {deployment_path}", err=True)
        parsed = apply_deployment(parsed, _read(deployment_path), str(deployment_path), os.environ)
    for warning in parsed.warnings:
        click.echo(f"{click.style('warning:', fg='yellow')} {warning}", err=True)
    return parsed


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise Failure(f"Cannot read '{path}': {exc}.", "Give a readable YAML file.") from exc


def code_of(step: Step) -> str:
    assert step.code_from is not None and step.code_loc is not None
    path = Path(step.code_from)
    loc = step.code_loc.child("function", step.code_loc.line)
    if path.is_dir():
        return zip_directory(path)
    if not path.is_file():
        raise loc.error(f"'{step.code_from}' does not exist")
    try:
        return read_code(str(path))
    except (InvalidArgument, UnicodeDecodeError) as exc:
        raise loc.error(f"cannot read '{step.code_from}': {exc}") from exc


# -- running a plan ------------------------------------------------------------------------------


def _quiet_feed(s: Session, step: Step, event: str, params: Mapping[str, Any]) -> None:
    """``run_feed`` with its wsk-style output swallowed (the progress line stands for it)."""
    assert step.feed is not None
    with contextlib.redirect_stdout(io.StringIO()):
        run_feed(s, step.feed, event, step.qn, dict(params))


def _unregister_feed(s: Session, step: Step, feed: str) -> None:
    try:
        _quiet_feed(s, Step(step.noun, step.qn, feed=feed), "DELETE", {})
    except ApiError as exc:
        if exc.status != 404:  # 404: the feed action is gone, nothing to unregister from
            raise


def _deploy_step(s: Session, step: Step) -> None:
    body = dict(step.body)
    if step.code_from is not None:
        body["exec"] = {**body["exec"], "code": code_of(step)}
    what = f"deploy {step.noun.value} '{step.qn.entity}'"
    if step.noun is Noun.TRIGGER:
        with calling(what, "update", "trigger"):
            current = s.client.request("GET", step.path, accept=(404,))
        feed = annotation_value(current.body.get("annotations"), "feed") if (
            current.status == 200 and isinstance(current.body, dict)) else None  # fmt: skip
        if isinstance(feed, str) and feed:
            _unregister_feed(s, step, feed)
    with calling(what, "update", step.noun.value):
        s.client.request("PUT", step.path, query={"overwrite": True}, body=body)
    if step.feed:
        try:
            _quiet_feed(s, step, "CREATE", step.feed_params)
        except ApiError as exc:
            s.client.request("DELETE", step.path, accept=(404,))
            exc.context = f"Unable to {what}: {exc.context}"
            if exc.status == 404:
                exc.hint = (
                    f"The feed action {step.feed} does not exist on this server (is its "
                    "package installed?). The trigger was removed again; install the feed or "
                    "drop 'feed:' from the trigger, then deploy again."
                )
            raise


def _undeploy_step(s: Session, step: Step) -> bool:
    """Delete the entity; False when it did not exist."""
    what = f"undeploy {step.noun.value} '{step.qn.entity}'"
    if step.noun is Noun.TRIGGER:
        with calling(what, "delete", "trigger"):
            current = s.client.request("GET", step.path, accept=(404,))
        if current.status == 404:
            return False
        feed = annotation_value((current.body or {}).get("annotations"), "feed")
        if isinstance(feed, str) and feed:
            _unregister_feed(s, step, feed)
    with calling(what, "delete", step.noun.value):
        return s.client.request("DELETE", step.path, accept=(404,)).status != 404


def _run(steps: list[Step], run_one: Any, s: Session) -> list[str]:
    outcomes = []
    for number, step in enumerate(steps, 1):
        click.echo(f"[{number}/{len(steps)}] {step.label} ... ", nl=False)
        try:
            outcome = run_one(s, step)
        except BaseException:
            click.echo("failed")
            raise
        text = "ok" if outcome in (None, True) else "absent"
        outcomes.append(text)
        click.echo(text)
    return outcomes


def _manifest_or_fail(manifest: str | None, deployment: str | None) -> Manifest:
    try:
        return load_manifest(manifest, deployment)
    except ManifestError as exc:
        raise Failure(exc.message, MANIFEST_HINT) from exc


class ManifestCommand(PlainCommand):
    """Takes the connection flags, but ``-d`` is ``--deployment`` here (as in wskdeploy); debug
    is ``--debug`` (or ``whisk -d deploy``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in connection_params():
            if param.name == "debug":
                param.opts = ["--debug"]
            self.params.append(param)


manifest_option = click.option(
    "-m", "--manifest", metavar="FILE", help="Manifest (default: ./manifest.yaml or .yml)."
)
deployment_option = click.option(
    "-d", "--deployment", metavar="FILE",
    help="Deployment file overriding inputs (default: deployment.yaml next to the manifest).",
)  # fmt: skip


@click.command("deploy", cls=ManifestCommand)
@manifest_option
@deployment_option
@click.option("--preview", is_flag=True, help="Show what would be deployed; change nothing.")
@click.pass_context
def deploy(ctx: click.Context, manifest: str | None, deployment: str | None, preview: bool) -> None:
    """Create or update the packages, actions, sequences, triggers and rules of a wskdeploy
    manifest (idempotent: deploying twice changes nothing but versions)."""
    parsed = _manifest_or_fail(manifest, deployment)
    if preview:
        namespace = load_config(ctx).namespace
        steps = plan_deploy(parsed, namespace)
        for number, step in enumerate(steps, 1):
            click.echo(f"[{number}/{len(steps)}] {step.label} (create or update)")
        ok(f"previewed {len(steps)} entities from {parsed.file}; nothing was changed")
        return
    s = session(ctx)
    steps = plan_deploy(parsed, s.namespace)
    try:
        _run(steps, _deploy_step, s)
    except ManifestError as exc:
        raise Failure(exc.message, MANIFEST_HINT) from exc
    ok(f"deployed {len(steps)} entities from {parsed.file}")


@click.command("undeploy", cls=ManifestCommand)
@manifest_option
@deployment_option
@click.pass_context
def undeploy(ctx: click.Context, manifest: str | None, deployment: str | None) -> None:
    """Delete the entities of a wskdeploy manifest (rules first, packages last); entities that
    do not exist are reported as absent."""
    parsed = _manifest_or_fail(manifest, deployment)
    s = session(ctx)
    steps = plan_undeploy(parsed, s.namespace)
    outcomes = _run(steps, _undeploy_step, s)
    ok(f"undeployed {outcomes.count('ok')} entities from {parsed.file}")
