"""The ``/whisk.system`` catalog (utils, alarms, messaging), installed on controller start."""

from controller.catalog.install import install_catalog

__all__ = ["install_catalog"]
