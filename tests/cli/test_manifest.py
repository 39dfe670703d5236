"""wskdeploy manifests: parsing, validation (file:line: key messages), deployment overrides and
the plan of API calls (pure: literal YAML in, specs and steps out)."""

from __future__ import annotations

import base64
import io
import textwrap
import zipfile
from pathlib import Path

import pytest

from cli.artifacts import zip_directory
from cli.deploy import Noun, plan_deploy, plan_undeploy
from cli.manifest.deployment import apply_deployment
from cli.manifest.location import ManifestError
from cli.manifest.parse import parse_manifest
from cli.manifest.specs import Manifest

SAMPLES = Path(__file__).parent / "samples"


def parse(text: str, environ: dict[str, str] | None = None) -> Manifest:
    return parse_manifest(textwrap.dedent(text), "m.yaml", environ or {}, "proj")


def error_of(text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ManifestError) as caught:
        parse(text, environ)
    return caught.value.message


def test_manifest_sample_parses_into_every_entity() -> None:
    text = (SAMPLES / "manifest.yaml").read_text()
    m = parse_manifest(text, "manifest.yaml", {"WHISK_SAMPLE_NAME": "Ann"}, "samples")
    assert [p.name for p in m.packages] == ["demo"]
    assert [a.entity for a in m.actions] == ["demo/hello", "demo/shout"]
    hello, shout = m.actions
    assert (hello.function, hello.kind, hello.main) == ("samples/src/hello", "python:3.11", "main")
    assert hello.inputs == {"name": "Ann", "punctuation": ""}
    assert hello.limits == {"timeout": 10000, "memory": 128, "logs": 5, "concurrency": 1}
    assert shout.kind == "nodejs:default"
    assert shout.annotations == {"web-export": True, "raw-http": False, "final": True}
    assert m.sequences[0].components == ("demo/hello", "demo/shout")
    assert [(t.name, t.feed) for t in m.triggers] == [
        ("poke", None),
        ("tick", "/whisk.system/alarms/alarm"),
    ]
    assert [(r.trigger, r.action) for r in m.rules] == [
        ("poke", "demo/greet_loud"),
        ("tick", "demo/greet_loud"),
    ]
    assert m.warnings == ()


def test_manifest_variables_whole_and_inside_strings() -> None:
    m = parse(
        """
        packages:
          default:
            actions:
              a:
                function: a.py
                inputs: {url: "https://${HOST}/x", port: $PORT, missing: $NOPE}
        """,
        {"HOST": "example.org", "PORT": "8080"},
    )
    assert m.actions[0].inputs == {"url": "https://example.org/x", "port": "8080", "missing": ""}
    assert m.warnings == ("m.yaml:7: packages.default.actions.a.inputs.missing: $NOPE is not set",)


def test_manifest_typed_inputs_take_value_default_or_zero() -> None:
    m = parse(
        """
        packages:
          p:
            inputs:
              n: {type: integer, value: $N}
              d: {type: boolean, default: true}
              z: {type: json}
              plain: integer
              obj: {a: 1}
            actions:
              a: {function: a.js}
        """,
        {"N": "42"},
    )
    assert m.packages[0].inputs == {"n": 42, "d": True, "z": {}, "plain": 0, "obj": {"a": 1}}


def test_manifest_typed_input_with_a_wrong_value_names_the_line() -> None:
    message = error_of(
        """
        packages:
          p:
            actions:
              a:
                function: a.py
                inputs:
                  n: {type: integer, value: many}
        """
    )
    assert message == (
        "m.yaml:8: packages.p.actions.a.inputs.n.value: is declared integer but its value is 'many'"
    )


def test_manifest_unknown_key_is_named_with_its_line() -> None:
    message = error_of(
        """
        packages:
          demo:
            actions:
              hello:
                funtion: hello.py
        """
    )
    assert message.startswith(
        "m.yaml:6: packages.demo.actions.hello.funtion: unknown key 'funtion'"
    )


def test_manifest_bad_limit_is_named_with_its_line() -> None:
    message = error_of(
        """
        packages:
          demo:
            actions:
              hello:
                function: hello.py
                limits:
                  timeout: soon
        """
    )
    assert message == (
        "m.yaml:8: packages.demo.actions.hello.limits.timeout: must be a positive integer "
        "(got 'soon')"
    )


@pytest.mark.parametrize(
    ("function", "expected"),
    [("src/dir", "the kind of a directory cannot be inferred"), ("a.zip", "of a zip cannot")],
)
def test_manifest_directory_or_zip_needs_a_runtime(function: str, expected: str) -> None:
    message = error_of(
        f"""
        packages:
          demo:
            actions:
              hello:
                function: {function}
        """
    )
    assert message.startswith("m.yaml:6: packages.demo.actions.hello.function: needs 'runtime'")
    assert expected in message


def test_manifest_native_action_is_the_docker_skeleton_with_its_function() -> None:
    m = parse(
        """
        packages:
          demo:
            actions:
              tool:
                function: bin/tool.zip
                native: true
        """
    )
    (step,) = [s for s in plan_deploy(m, "guest") if s.noun is Noun.ACTION]
    assert step.body["exec"] == {"kind": "blackbox", "image": "openwhisk/dockerskeleton"}
    assert step.code_from == "proj/bin/tool.zip"
    message = error_of(
        """
        packages:
          demo:
            actions:
              tool:
                native: true
                docker: me/img
                function: tool.sh
        """
    )
    assert message == (
        "m.yaml:6: packages.demo.actions.tool.native: give 'native' or 'docker', not both"
    )


def test_manifest_invalid_yaml_names_the_line() -> None:
    message = error_of("packages:\n  demo:\n    actions: [unclosed\n")
    assert message.startswith("m.yaml:4: not valid YAML")


def test_manifest_without_packages_is_refused() -> None:
    assert error_of("project:\n  name: x\n") == "m.yaml:1: has no 'packages:' (nothing to deploy)"


def test_manifest_duplicate_action_reports_both_places() -> None:
    message = error_of(
        """
        packages:
          default:
            actions:
              a: {function: a.py}
            sequences:
              a: {actions: "b, c"}
        """
    )
    assert message == (
        "m.yaml:7: packages.default.sequences.a: action a is defined twice (first at m.yaml:5)"
    )


def test_manifest_web_and_web_export_conflict() -> None:
    message = error_of(
        """
        packages:
          default:
            actions:
              a: {function: a.py, web: true, web-export: true}
        """
    )
    assert "give 'web' or 'web-export', not both" in message


def test_manifest_names_resolve_in_their_package() -> None:
    m = parse(
        """
        packages:
          p:
            actions:
              a: {function: a.py}
            sequences:
              s: {actions: "a, other/b, /ns/q/c"}
            rules:
              r: {trigger: t, action: s}
        """
    )
    assert m.sequences[0].components == ("p/a", "other/b", "/ns/q/c")
    assert m.rules[0].action == "p/s"


def test_deployment_overrides_inputs_key_by_key() -> None:
    m = parse(
        """
        packages:
          p:
            inputs: {a: 1, b: 2}
            actions:
              x: {function: x.py, inputs: {keep: k, change: old}}
            triggers:
              t: {inputs: {n: 1}}
        """
    )
    deployment = textwrap.dedent(
        """
        project:
          packages:
            p:
              inputs: {b: 3}
              actions:
                x: {inputs: {change: new}}
              triggers:
                t: {inputs: {n: $N}}
        """
    )
    result = apply_deployment(m, deployment, "d.yaml", {"N": "9"})
    assert result.packages[0].inputs == {"a": 1, "b": 3}
    assert result.actions[0].inputs == {"keep": "k", "change": "new"}
    assert result.triggers[0].inputs == {"n": "9"}


def test_deployment_naming_an_unknown_action_is_refused() -> None:
    m = parse("packages:\n  p:\n    actions:\n      x: {function: x.py}\n")
    with pytest.raises(ManifestError) as caught:
        apply_deployment(m, "packages:\n  p:\n    actions:\n      y: {}\n", "d.yaml", {})
    assert caught.value.message == "d.yaml:4: packages.p.actions.y: action 'p/y' is not in m.yaml"


def test_plan_deploy_orders_entities_and_builds_bodies() -> None:
    text = (SAMPLES / "manifest.yaml").read_text()
    m = parse_manifest(text, "manifest.yaml", {"WHISK_SAMPLE_NAME": "Ann"}, "samples")
    steps = plan_deploy(m, "guest")
    assert [(s.noun, s.qn.entity) for s in steps] == [
        (Noun.PACKAGE, "demo"),
        (Noun.ACTION, "demo/hello"),
        (Noun.ACTION, "demo/shout"),
        (Noun.SEQUENCE, "demo/greet_loud"),
        (Noun.TRIGGER, "poke"),
        (Noun.TRIGGER, "tick"),
        (Noun.RULE, "on_poke"),
        (Noun.RULE, "on_tick"),
    ]
    package, hello, _, sequence, poke, tick, rule, _ = steps
    assert package.path == "/namespaces/guest/packages/demo"
    assert package.body["parameters"] == [{"key": "greeting", "value": "Hello"}]
    assert hello.path == "/namespaces/guest/actions/demo/hello"
    assert hello.body["exec"] == {"kind": "python:3.11", "main": "main"}
    assert hello.code_from == "samples/src/hello"
    assert sequence.body["exec"] == {
        "kind": "sequence",
        "components": ["/guest/demo/hello", "/guest/demo/shout"],
    }
    assert poke.feed is None and poke.body["parameters"] == [{"key": "source", "value": "manual"}]
    assert tick.feed == "/whisk.system/alarms/alarm"
    assert tick.body["parameters"] == []
    assert tick.body["annotations"] == [{"key": "feed", "value": "/whisk.system/alarms/alarm"}]
    assert tick.feed_params == {"cron": "*/10 * * * *", "trigger_payload": {"source": "alarm"}}
    assert tick.label == "trigger tick (feed /whisk.system/alarms/alarm)"
    assert rule.body == {"trigger": "/guest/poke", "action": "/guest/demo/greet_loud"}


def test_plan_undeploy_is_the_reverse_without_bodies() -> None:
    m = parse(
        """
        packages:
          p:
            actions: {a: {function: a.py}}
            triggers: {t: {}}
            rules: {r: {trigger: t, action: a}}
        """
    )
    steps = plan_undeploy(m, "_")
    assert [(s.noun, s.qn.entity) for s in steps] == [
        (Noun.RULE, "r"),
        (Noun.TRIGGER, "t"),
        (Noun.ACTION, "p/a"),
        (Noun.PACKAGE, "p"),
    ]
    assert all(not s.body for s in steps)


def test_zip_directory_is_stable_and_holds_files_at_the_root(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "__main__.py").write_text("def main(a): return a\n")
    (tmp_path / "lib" / "util.py").write_text("X = 1\n")
    first = zip_directory(tmp_path)
    (tmp_path / "__main__.py").touch()
    assert zip_directory(tmp_path) == first
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(first))).namelist()
    assert names == ["__main__.py", "lib/util.py"]
