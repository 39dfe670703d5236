"""wskdeploy manifests read into what ``whisk deploy`` will create (pure: text in, specs out).

The subset users rely on: ``packages`` (or ``project: {packages}``), each with ``inputs``,
``annotations``, ``public``, ``actions`` (``function``, ``runtime``, ``main``, ``docker``,
``native``, ``inputs``, ``limits``, ``web``/``web-export``, ``annotations``), ``sequences``
(``actions: "a, b"``), ``triggers`` (``feed``, ``inputs``) and ``rules`` (``trigger``,
``action``). The package ``default`` holds entities deployed outside any package.

Values: ``$VAR`` and ``${VAR}`` come from the environment given; an input whose value is a type
name (``string``, ``integer``...) is that type's zero value, as wskdeploy does. A
``deployment.yaml`` overrides inputs (``apply_deployment``).

Every error names the file, the line and the key: ``manifest.yaml:7: packages.demo.actions.
hello.limits.timeout: must be a positive integer (got 'soon')``. Line numbers come from
PyYAML's node marks (``yaml.compose``).

One concept per module:

    location.py    ManifestError and Location (file, line, dotted key) that every error names
    specs.py       the plan of entities: Manifest and its Package/Action/Sequence/Trigger/RuleSpec
    reader.py      the YAML node walker: mappings, values, ``$VAR`` substitution, typed inputs
    parse.py       parse_manifest: manifest.yaml into a Manifest, entity by entity
    deployment.py  apply_deployment: a deployment.yaml's inputs over a Manifest
"""
