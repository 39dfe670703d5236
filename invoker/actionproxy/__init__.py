"""The action proxy: the HTTP server inside every action container.

Standard library only and no imports from the project: this package is copied into the runtime
images (to /whisk/actionproxy) and started with ``python3 -m actionproxy`` (PYTHONPATH=/whisk).

Protocol (OpenWhisk's runtime contract): ``POST /init`` once with the action's code, then
``POST /run`` per activation; after each run the sentinel line goes to stdout and stderr.
One module per mechanism: ``server`` (HTTP/1.1), ``init_handler``, ``run_handler``,
``extractor`` (code on disk), ``python_executor``, ``node_executor`` (+ ``launcher.js``),
``native_executor`` (an executable per run, as OpenWhisk's docker skeleton: ``--native``),
``environment`` (``__OW_*`` variables), ``logs`` (sentinel), ``app`` (routes and state).
"""
