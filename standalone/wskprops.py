"""``.wskprops`` files: ``KEY=VALUE`` lines as wsk and the npm client read them (pure + file I/O
at the edges, nothing else)."""

from __future__ import annotations

from pathlib import Path


def parse_wskprops(text: str) -> dict[str, str]:
    props: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        props[key.strip().upper()] = value.strip()
    return props


def render_wskprops(props: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in props.items())


def read_wskprops(path: Path) -> dict[str, str]:
    try:
        return parse_wskprops(path.read_text())
    except FileNotFoundError:
        return {}


def write_wskprops(path: Path, updates: dict[str, str]) -> None:
    """Set ``updates`` in the file at ``path``, keeping its other lines' keys."""
    props = read_wskprops(path)
    props.update(updates)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_wskprops(props))
    path.chmod(0o600)
