"""The controller's load balancer: invoker choice (``scheduling``), invoker health
(``health``), acknowledgements (``acks``) and the shell that does the bus I/O (``balancer``)."""

from controller.loadbalancer.acks import AckResult, ActivationEntry
from controller.loadbalancer.balancer import BalancerConfig, ForcedCompletionHook, LoadBalancer

__all__ = ["AckResult", "ActivationEntry", "BalancerConfig", "ForcedCompletionHook", "LoadBalancer"]
