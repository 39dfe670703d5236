"""Web actions, decided without I/O: what a ``/api/v1/web/...`` path names, what the action
receives for an HTTP request, who may call it, and how its result becomes an HTTP response.

The shell is ``controller/api/web.py``; the rules are OpenWhisk's (``docs/webactions.md``):

- path ``{ns}/{pkg|default}/{action}[.ext][/extra]``; the extension picks the response
  handler (``.http`` when none), the rest of the path is ``__ow_path``;
- input: query < body parameters (JSON object or form) over the action's parameters, with
  ``__ow_method``, ``__ow_headers``, ``__ow_path`` and, as the case may be, ``__ow_user``,
  ``__ow_body`` and ``__ow_query``; a request may not set ``__ow_*`` names nor, on a ``final``
  action, override defined parameters;
- output: the result (or, for an application error, its ``error`` field) through the
  extension's handler.

One concept per module:

    paths.py     Extension, WebPath, parse_web_path: what a web path names
    auth.py      AuthKind, AuthRequirement, auth_requirement: ``require-whisk-auth``
    cors.py      cors_headers: the CORS answer headers
    media.py     media_type, is_json_type, is_binary_type: text or binary bodies
    request.py   WebRequest, build_input: an HTTP request into the action's parameters
    response.py  WebResponse, render_activation, render_http: an action's result as HTTP
"""
