// Whisk Node.js launcher: loads one action and runs it once per input line.
// Started by the action proxy (node_executor.py) as `node launcher.js` with the action's
// directory in WHISK_ACTION_ROOT and the function name in WHISK_ACTION_MAIN.
// Protocol: fd WHISK_RESULT_FD (default 3) carries one JSON line per message back to the proxy.
//   start:  {"ok": true} or {"ok": false, "error": "..."}
//   stdin:  {"id": N, "msg": {"value": ..., "activation_id": ..., ...}}   (one line per run)
//   result: {"id": N, "ok": true, "result": ...} or {"id": N, "ok": false, "error": ...}
// User output on stdout/stderr passes through to the container's logs.
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { createRequire } = require('module');

const RESULT_FD = Number(process.env.WHISK_RESULT_FD || 3);

function send(message) {
  const buffer = Buffer.from(JSON.stringify(message) + '\n', 'utf8');
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(RESULT_FD, buffer, offset, buffer.length - offset);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

function describe(err) {
  if (err instanceof Error) return err.message || err.name;
  if (err === undefined) return 'undefined';
  return err;
}

function loadMain() {
  const root = process.env.WHISK_ACTION_ROOT;
  const name = process.env.WHISK_ACTION_MAIN || 'main';
  const file = process.env.WHISK_ACTION_FILE;
  const target = file ? path.join(root, file) : root;
  process.chdir(root);
  let exported;
  if (file && /^[A-Za-z_$][\w$]*$/.test(name)) {
    // A single source file may just declare `function main` without exporting it, as
    // OpenWhisk's Node.js runtime allows: evaluate it as a module body and look the name up.
    const source = fs.readFileSync(target, 'utf8');
    const mod = { exports: {} };
    const body = `${source}\n;return typeof ${name} === 'function' ? ${name} : undefined;`;
    const found = new Function('exports', 'require', 'module', '__filename', '__dirname', body)(
      mod.exports, createRequire(target), mod, target, root);
    if (typeof found === 'function') return found;
    exported = mod.exports;
  } else {
    exported = require(target);
  }
  if (typeof exported === 'function' && (name === 'main' || exported.name === name)) {
    return exported;
  }
  if (exported && typeof exported[name] === 'function') return exported[name];
  throw new Error(`The action has no function named '${name}'.`);
}

function flushed(stream) {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

let runKeys = [];

// __OW_<KEY> for every key but value, reset per run (a key absent from this run is removed).
function setEnvironment(msg) {
  const keys = [];
  for (const [key, value] of Object.entries(msg)) {
    if (key === 'value') continue;
    const text = typeof value === 'string' ? value
      : value === null || value === undefined ? '' : JSON.stringify(value);
    const name = '__OW_' + key.toUpperCase();
    process.env[name] = text;
    keys.push(name);
  }
  for (const name of runKeys) if (!keys.includes(name)) delete process.env[name];
  runKeys = keys;
}

const pending = new Set();

// A rejection as OpenWhisk's Node.js runtime reports it (the serialize-error package's shape):
// an Error becomes its own enumerable properties plus name, message, stack (code, cause when set).
function serializeError(err) {
  if (err === null || typeof err !== 'object') return err;
  const out = {};
  for (const [key, value] of Object.entries(err)) out[key] = value;
  for (const key of ['name', 'message', 'stack', 'code', 'cause']) {
    if (err[key] !== undefined && err[key] !== null) out[key] = err[key];
  }
  return out;
}

// As OpenWhisk's Node.js runtime: a synchronous throw fails the run (502, a developer error,
// "An error has occurred: <err>"); a rejected promise is a result {"error": <serialized>} (an
// application error); reject() with nothing gives {"error": {}}; no result gives {}.
async function runOne(main, id, msg) {
  pending.add(id);
  let reply;
  try {
    setEnvironment(msg);
    let result;
    try {
      result = main(msg.value === undefined ? {} : msg.value);
    } catch (err) {
      console.error(err);
      reply = { id, ok: false, error: `An error has occurred: ${err}` };
    }
    if (reply === undefined) {
      try {
        result = await result;
        reply = { id, ok: true, result: result === undefined ? {} : result };
      } catch (err) {
        console.error(err);
        reply = { id, ok: true, result: { error: err ? serializeError(err) : {} } };
      }
    }
  } catch (err) {
    console.error(err);
    reply = { id, ok: false, error: `An error has occurred: ${err}` };
  }
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  if (!pending.delete(id)) return; // already answered by the uncaught-error handler
  try {
    send(reply);
  } catch (err) {
    send({ id, ok: false, error: `The action result could not be serialized: ${err.message}` });
  }
}

function start() {
  let main;
  try {
    main = loadMain();
  } catch (err) {
    console.error(err && err.stack ? err.stack : String(err));
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : describe(err);
    send({ ok: false, error: `Initialization has failed due to: ${reason}` });
    process.exit(1);
  }
  send({ ok: true });
  // An error escaping the action's callbacks fails the runs in flight instead of hanging them.
  const failPending = (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    for (const id of pending) send({ id, ok: false, error: describe(err) });
    pending.clear();
  };
  process.on('uncaughtException', failPending);
  process.on('unhandledRejection', failPending);
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line) return;
    const { id, msg } = JSON.parse(line);
    runOne(main, id, msg || {});
  });
  lines.on('close', () => process.exit(0));
}

start();
