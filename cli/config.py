"""Where the CLI's settings come from, as wsk: built-in defaults < the props file
(``~/.wskprops`` or ``WSK_CONFIG_FILE``) < the environment (``WHISK_APIHOST``, ``WHISK_AUTH``,
``WHISK_NAMESPACE``) < command-line flags. Everything is read from mappings passed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from standalone.wskprops import read_wskprops

DEFAULT_NAMESPACE = "_"
# props-file key -> environment override
ENV_BY_PROP = {"APIHOST": "WHISK_APIHOST", "AUTH": "WHISK_AUTH", "NAMESPACE": "WHISK_NAMESPACE"}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


@dataclass(frozen=True)
class Flags:
    """The connection flags given on the command line (None/False when absent)."""

    apihost: str | None = None
    auth: str | None = None
    insecure: bool = False
    debug: bool = False


@dataclass(frozen=True)
class Config:
    apihost: str | None  # as configured (maybe without scheme)
    auth: str | None  # uuid:key
    namespace: str  # the default namespace of unqualified names ("_" unless configured)
    insecure: bool
    debug: bool
    props_file: Path | None

    @property
    def base_url(self) -> str | None:
        """The API host as a URL with scheme and no trailing slash."""
        return host_url(self.apihost) if self.apihost else None


def props_path(environ: Mapping[str, str]) -> Path | None:
    """``WSK_CONFIG_FILE`` when set (an empty value means: no file), else ``~/.wskprops``."""
    if "WSK_CONFIG_FILE" in environ:
        value = environ["WSK_CONFIG_FILE"]
        return Path(value).expanduser() if value else None
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".wskprops"


def host_url(apihost: str) -> str:
    """``host[:port]`` -> ``https://host[:port]``, except local hosts which get ``http://``;
    a value with a scheme is kept as given."""
    host = apihost.strip().rstrip("/")
    if "://" in host:
        return host
    bare = host.split("/", 1)[0]
    name = bare.rsplit(":", 1)[0] if not bare.startswith("[") else bare.split("]")[0] + "]"
    scheme = "http" if name in LOCAL_HOSTS else "https"
    return f"{scheme}://{host}"


def resolve(props: Mapping[str, str], environ: Mapping[str, str], flags: Flags) -> Config:
    def pick(key: str, flag: str | None) -> str | None:
        if flag:
            return flag
        env_value = environ.get(ENV_BY_PROP[key])
        if env_value:
            return env_value
        return props.get(key) or None

    return Config(
        apihost=pick("APIHOST", flags.apihost),
        auth=pick("AUTH", flags.auth),
        namespace=pick("NAMESPACE", None) or DEFAULT_NAMESPACE,
        insecure=flags.insecure,
        debug=flags.debug or bool(environ.get("WSK_CLI_DEBUG")),
        props_file=props_path(environ),
    )


def load(environ: Mapping[str, str], flags: Flags) -> Config:
    """Read the props file named by ``environ`` and resolve the settings."""
    path = props_path(environ)
    props = read_wskprops(path) if path is not None else {}
    return resolve(props, environ, flags)
