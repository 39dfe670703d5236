"""Finding what a name refers to: packages through their bindings, actions through their
packages, with the entitlement rule for other namespaces (only published packages are
readable)."""

from __future__ import annotations

from dataclasses import dataclass

from controller.entities import find, load
from whisk.entities.action import Action
from whisk.entities.names import FullyQualifiedName
from whisk.entities.package import Package
from whisk.entities.parameters import Parameters
from whisk.errors import Forbidden, NotFound
from whisk.store.ports import Collection, EntityStore, Identity


@dataclass(frozen=True, slots=True)
class ResolvedPackage:
    package: Package  # the real package holding the actions
    binding: Package | None  # the binding the caller named, if any

    @property
    def parameters(self) -> Parameters:
        """Package parameters, overridden by the binding's."""
        if self.binding is None:
            return self.package.parameters
        return self.package.parameters.merge(self.binding.parameters)


@dataclass(frozen=True, slots=True)
class ResolvedAction:
    action: Action
    package: ResolvedPackage | None
    revision: int = 0  # the stored revision of the action document

    @property
    def record_package(self) -> str | None:
        """The package column of its activation records: the binding's name when called
        through one, else the package's (what ``GET /activations?name=pkg/act`` filters on)."""
        if self.package is None:
            return None
        return (self.package.binding or self.package.package).fqn.name

    @property
    def parameters(self) -> Parameters:
        """Package < binding < action parameters, as an invocation sees them."""
        if self.package is None:
            return self.action.parameters
        return self.package.parameters.merge(self.action.parameters)


def _check_readable(identity: Identity, package: Package) -> None:
    if package.fqn.namespace != identity.namespace and not package.publish:
        raise Forbidden()


async def resolve_package(
    store: EntityStore, identity: Identity, fqn: FullyQualifiedName
) -> ResolvedPackage:
    """The package ``fqn`` names, following one level of binding."""
    named = (await load(store, Collection.PACKAGES, fqn)).entity
    _check_readable(identity, named)
    if named.binding is None:
        return ResolvedPackage(named, None)
    target = await find(store, Collection.PACKAGES, named.binding.fqn)
    if target is None:
        raise NotFound("The binding references a package that no longer exists.")
    if target.entity.fqn.namespace != named.fqn.namespace and not target.entity.publish:
        raise Forbidden()
    return ResolvedPackage(target.entity, named)


async def resolve_action(
    store: EntityStore, identity: Identity, fqn: FullyQualifiedName
) -> ResolvedAction:
    if fqn.package is None:
        if fqn.namespace != identity.namespace:
            raise Forbidden()
        loaded = await load(store, Collection.ACTIONS, fqn)
        return ResolvedAction(loaded.entity, None, loaded.revision)
    package = await resolve_package(store, identity, FullyQualifiedName(fqn.namespace, fqn.package))
    real = FullyQualifiedName(package.package.fqn.namespace, fqn.name, package.package.fqn.name)
    loaded = await load(store, Collection.ACTIONS, real)
    return ResolvedAction(loaded.entity, package, loaded.revision)
