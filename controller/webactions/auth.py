"""Who may call a web action: the ``require-whisk-auth`` annotation as an AuthRequirement."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import Enum
from typing import Any


class AuthKind(Enum):
    OPEN = "open"
    IDENTITY = "identity"  # any valid Whisk key (Basic auth)
    SECRET = "secret"  # header X-Require-Whisk-Auth must equal the annotation


@dataclass(frozen=True, slots=True)
class AuthRequirement:
    kind: AuthKind
    secret: str = ""

    def secret_matches(self, header: str | None) -> bool:
        """Compared in constant time, as the keys are (``verify_secret``)."""
        if self.kind is not AuthKind.SECRET or header is None:
            return False
        return hmac.compare_digest(header.encode(), self.secret.encode())


def auth_requirement(annotation: Any) -> AuthRequirement:
    """The ``require-whisk-auth`` annotation: ``true`` needs a Whisk identity, a string or a
    number is a shared secret, absent/false/empty is open. Any other value fails closed."""
    if annotation is None or annotation is False or annotation == "":
        return AuthRequirement(AuthKind.OPEN)
    if annotation is True:
        return AuthRequirement(AuthKind.IDENTITY)
    if isinstance(annotation, int | float):
        number = int(annotation) if float(annotation).is_integer() else annotation
        return AuthRequirement(AuthKind.SECRET, str(number))
    if isinstance(annotation, str):
        return AuthRequirement(AuthKind.SECRET, annotation)
    return AuthRequirement(AuthKind.IDENTITY)
