// The scripted session of test_same_state.py, done with the `openwhisk` npm client.
const openwhisk = require('openwhisk');

const ow = openwhisk({ apihost: process.env.APIHOST, api_key: process.env.AUTH });
const code = require('fs').readFileSync(process.env.HELLO_PY, 'utf8');

(async () => {
  await ow.actions.create({ name: 'hello', kind: 'python:3.11', action: code, params: { greeting: 'hi' } });
  await ow.actions.create({ name: 'scratch', kind: 'python:3.11', action: code });
  await ow.actions.invoke({ name: 'hello', blocking: true, params: { name: 'session' } });
  await ow.triggers.create({ name: 'tick', trigger: { parameters: [{ key: 'source', value: 'script' }] } });
  await ow.rules.create({ name: 'onTick', trigger: '/_/tick', action: '/_/hello' });
  await ow.triggers.invoke({ name: 'tick', params: { name: 'fired' } });
  await ow.rules.disable({ name: 'onTick' });
  await ow.rules.enable({ name: 'onTick' });
  const listed = await ow.activations.list({ limit: 10 });
  await ow.activations.logs({ name: listed[0].activationId });
  await ow.actions.delete({ name: 'scratch' });
})().catch((e) => {
  console.error('FAILED', e.statusCode, e.message);
  process.exit(1);
});
