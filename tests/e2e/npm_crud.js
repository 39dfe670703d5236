// Drives Whisk with the real `openwhisk` npm client: every entity kind through create, update,
// get, list and delete. Prints one JSON line per step; exits non-zero on the first failure.
const openwhisk = require('openwhisk');

const NS = process.env.NAMESPACE;
const ow = openwhisk({ apihost: process.env.APIHOST, api_key: process.env.AUTH, namespace: NS });
const out = (step, value) => console.log(JSON.stringify({ step, value }));
const zip = process.env.ZIP_B64;

(async () => {
  const created = await ow.actions.create({
    name: 'hello', kind: 'python:3', action: 'def main(a):\n    return {"hi": a.get("name")}\n',
  });
  out('action.create', { version: created.version, kind: created.exec.kind, ns: created.namespace });
  const updated = await ow.actions.update({
    name: 'hello', kind: 'python:3', action: 'def main(a):\n    return a\n', params: { name: 'x' },
  });
  out('action.update', { version: updated.version, params: updated.parameters });
  const zipped = await ow.actions.create({ name: 'zipped', kind: 'python:3', action: Buffer.from(zip, 'base64') });
  out('action.zip', { binary: zipped.exec.binary });
  const node = await ow.actions.create({ name: 'nodey', action: 'function main(a) { return a; }' });
  out('action.default-kind', { kind: node.exec.kind });
  out('action.get', { name: (await ow.actions.get({ name: 'hello' })).name });
  out('action.list', (await ow.actions.list()).map((a) => a.name).sort());

  const pkg = await ow.packages.create({ name: 'tools', package: { parameters: [{ key: 'p', value: 1 }] } });
  out('package.create', { version: pkg.version, binding: pkg.binding });
  await ow.actions.create({ name: 'tools/echo', kind: 'nodejs:default', action: 'function main(a){return a}' });
  const got = await ow.packages.get({ name: 'tools' });
  out('package.get', { actions: got.actions.map((a) => a.name) });
  await ow.packages.create({ name: 'bound', package: { binding: { namespace: NS, name: 'tools' } } });
  out('package.list', (await ow.packages.list()).map((p) => p.name).sort());

  const seq = await ow.actions.create({
    name: 'seq', action: { exec: { kind: 'sequence', components: [`/${NS}/hello`, `/${NS}/tools/echo`] } },
  });
  out('sequence.create', { components: seq.exec.components });

  const trig = await ow.triggers.create({ name: 'tick', trigger: { parameters: [{ key: 't', value: 1 }] } });
  out('trigger.create', { version: trig.version });
  const rule = await ow.rules.create({ name: 'onTick', trigger: 'tick', action: 'hello' });
  out('rule.create', { status: rule.status, trigger: rule.trigger, action: rule.action });
  await ow.rules.disable({ name: 'onTick' });
  out('rule.disable', { status: (await ow.rules.get({ name: 'onTick' })).status });
  await ow.rules.enable({ name: 'onTick' });
  const t = await ow.triggers.get({ name: 'tick' });
  out('trigger.get', { rules: t.rules });
  out('rule.list', (await ow.rules.list()).map((r) => r.name));
  out('namespace.list', await ow.namespaces.list());

  try {
    await ow.actions.create({ name: 'hello', kind: 'python:3', action: 'x' });
    out('action.create-again', 'no error');
  } catch (e) {
    out('action.create-again', { statusCode: e.statusCode, message: e.message });
  }
  const run = await ow.actions.invoke({ name: 'hello', blocking: true, params: { name: 'npm' } });
  out('action.invoke', { status: run.response.status, result: run.response.result, id: run.activationId });
  const onlyResult = await ow.actions.invoke({ name: 'hello', blocking: true, result: true });
  out('action.invoke-result', onlyResult);
  const queued = await ow.actions.invoke({ name: 'hello' });
  out('action.invoke-async', { hasId: /^[0-9a-f]{32}$/.test(queued.activationId) });
  const seqRun = await ow.actions.invoke({ name: 'seq', blocking: true, params: { name: 'chain' } });
  out('sequence.invoke', { status: seqRun.response.status, result: seqRun.response.result, logs: seqRun.logs.length });
  const record = await ow.activations.get({ name: run.activationId });
  out('activation.get', { name: record.name, success: record.response.success });
  out('activation.result', await ow.activations.result({ name: run.activationId }));
  out('activation.logs', await ow.activations.logs({ name: run.activationId }));
  out('activation.list-named', (await ow.activations.list({ name: 'hello', limit: 50 })).length >= 2);

  await ow.rules.delete({ name: 'onTick' });
  await ow.triggers.delete({ name: 'tick' });
  await ow.actions.delete({ name: 'seq' });
  await ow.packages.delete({ name: 'bound' });
  await ow.actions.delete({ name: 'tools/echo' });
  await ow.packages.delete({ name: 'tools' });
  for (const name of ['hello', 'zipped', 'nodey']) await ow.actions.delete({ name });
  out('cleanup', {
    actions: (await ow.actions.list()).length,
    packages: (await ow.packages.list()).length,
    triggers: (await ow.triggers.list()).length,
    rules: (await ow.rules.list()).length,
  });
})().catch((e) => {
  console.error('FAILED', e.statusCode, e.message);
  process.exit(1);
});
