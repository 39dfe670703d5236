"""Action sources used by the contract suite, one per scenario and runtime."""

from __future__ import annotations

import base64
import io
import zipfile

ACTIONS: dict[str, dict[str, str]] = {
    "echo": {
        "python": (
            "import sys\n"
            "def main(args):\n"
            "    print('hello stdout', args.get('name'))\n"
            "    print('hello stderr', file=sys.stderr)\n"
            "    return {'params': args}\n"
        ),
        "nodejs": (
            "function main(args) {\n"
            "  console.log('hello stdout', args.name);\n"
            "  console.error('hello stderr');\n"
            "  return { params: args };\n"
            "}\n"
            "exports.main = main;\n"
        ),
    },
    "plain_main": {
        "python": "def main(args):\n    return {'plain': args.get('x')}\n",
        "nodejs": "function main(args) {\n  return { plain: args.x };\n}\n",
    },
    "application_error": {
        "python": "def main(args):\n    return {'error': 'bad input'}\n",
        "nodejs": "exports.main = () => ({ error: 'bad input' });\n",
    },
    "exception": {
        "python": "def main(args):\n    raise ValueError('boom')\n",
        "nodejs": "exports.main = () => { throw new Error('boom'); };\n",
    },
    "rejection": {
        "nodejs": (
            "exports.main = async () => {\n"
            "  const err = new TypeError('boom');\n"
            "  err.code = 'E_BOOM';\n"
            "  throw err;\n"
            "};\n"
        ),
    },
    "empty_rejection": {"nodejs": "exports.main = () => Promise.reject();\n"},
    "no_result": {"nodejs": "exports.main = () => {};\n"},
    "scalar": {
        "python": "def main(args):\n    return 42\n",
        "nodejs": "exports.main = () => 42;\n",
    },
    "array": {
        "python": "def main(args):\n    return [1, 'two', {'three': 3}]\n",
        "nodejs": "exports.main = () => [1, 'two', { three: 3 }];\n",
    },
    "environment": {
        "python": (
            "import os\n"
            "def main(args):\n"
            "    ow = {k: v for k, v in os.environ.items() if k.startswith('__OW_')}\n"
            "    return {'ow': ow, 'foo': os.environ.get('FOO')}\n"
        ),
        "nodejs": (
            "exports.main = () => {\n"
            "  const ow = {};\n"
            "  for (const [k, v] of Object.entries(process.env)) {\n"
            "    if (k.startsWith('__OW_')) ow[k] = v;\n"
            "  }\n"
            "  return { ow, foo: process.env.FOO };\n"
            "};\n"
        ),
    },
    "large_logs": {
        "python": (
            "import sys\n"
            "def main(args):\n"
            "    for i in range(1024):\n"
            "        print('o' * 1023)\n"
            "    for i in range(128):\n"
            "        print('e' * 1023, file=sys.stderr)\n"
            "    return {'done': True}\n"
        ),
        "nodejs": (
            "exports.main = () => {\n"
            "  for (let i = 0; i < 1024; i++) console.log('o'.repeat(1023));\n"
            "  for (let i = 0; i < 128; i++) console.error('e'.repeat(1023));\n"
            "  return { done: true };\n"
            "};\n"
        ),
    },
    "large_result": {
        "python": "def main(args):\n    return {'data': 'x' * args['size']}\n",
        "nodejs": "exports.main = (args) => ({ data: 'x'.repeat(args.size) });\n",
    },
    # Each run waits until `parties` runs are in flight: serialised runs would never all finish.
    "rendezvous": {
        "python": (
            "import threading\n"
            "barrier = threading.Barrier(4, timeout=60)\n"
            "def main(args):\n"
            "    barrier.wait()\n"
            "    return {'met': args['n']}\n"
        ),
        "nodejs": (
            "const waiting = [];\n"
            "exports.main = (args) => new Promise((resolve, reject) => {\n"
            "  const timer = setTimeout(() => reject(new Error('alone')), 60000);\n"
            "  waiting.push(() => { clearTimeout(timer); resolve({ met: args.n }); });\n"
            "  if (waiting.length === 4) waiting.splice(0).forEach((go) => go());\n"
            "});\n"
        ),
    },
    "async_main": {
        "python": "async def main(args):\n    return {'async': True}\n",
        "nodejs": (
            "exports.main = async (args) => {\n"
            "  await new Promise((r) => setTimeout(r, 10));\n"
            "  return { async: true };\n"
            "};\n"
        ),
    },
    "syntax_error": {
        "python": "def main(args)\n    return {}\n",
        "nodejs": "exports.main = (args) => { return {; };\n",
    },
    "exit": {
        "python": "import sys\ndef main(args):\n    sys.exit(3)\n",
        "nodejs": "exports.main = () => process.exit(3);\n",
    },
    "named_main": {
        "python": "def niam(args):\n    return {'called': 'niam'}\n",
        "nodejs": "exports.niam = () => ({ called: 'niam' });\n",
    },
}

ZIPS: dict[str, dict[str, str]] = {
    "python": {
        "__main__.py": "from helper import greet\ndef main(args):\n    return greet(args)\n",
        "helper.py": "def greet(args):\n    return {'greeting': 'hello ' + args['name']}\n",
    },
    "nodejs": {
        "package.json": '{"name": "zipped", "main": "lib/entry.js"}\n',
        "lib/entry.js": "const { greet } = require('./helper');\nexports.main = greet;\n",
        "lib/helper.js": "exports.greet = (args) => ({ greeting: 'hello ' + args.name });\n",
    },
}

ESCAPING_ZIP = {"../escaped.txt": "outside", "__main__.py": "def main(a):\n    return a\n"}

VIRTUALENV_ZIP = {
    "__main__.py": "import fancylib\ndef main(args):\n    return {'from': fancylib.WHERE}\n",
    "virtualenv/lib/python3.11/site-packages/fancylib/__init__.py": "WHERE = 'virtualenv'\n",
}


def zip_base64(files: dict[str, str]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return base64.b64encode(buffer.getvalue()).decode()
