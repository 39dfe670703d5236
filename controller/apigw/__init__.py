"""The API gateway, as OpenWhisk's (``routemgmt`` and its gateway), answered by the controller.

- ``swagger.py`` (pure): the OpenAPI 2.0 document of an API, built and edited as OpenWhisk's
  ``createApi``/``deleteApi`` do, with their messages.
- ``matching.py`` (pure): which operation of which API a gateway request names, and the web
  action URL it is forwarded to.
- ``management.py``: the ``/whisk.system/apimgmt`` web actions (``createApi``, ``getApi``,
  ``deleteApi``) over the ``RouteStore``.
- their web paths and the gateway ``/api/{namespace}/{basePath}{relPath}`` are served by
  ``controller/api/gateway.py``.
- ``cleanup.py``: routes go away with their action.
"""
