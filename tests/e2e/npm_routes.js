// The API gateway driven with the real `openwhisk` npm client: routes.create on a web action,
// an HTTP GET of the route's URL, routes.list and routes.delete; once without an API gateway
// token and once with one (then the client sends accesstoken and spaceguid, as with
// __OW_APIGW_TOKEN). Prints one JSON line per step; exits non-zero on the first failure.
const openwhisk = require('openwhisk');

const options = { apihost: process.env.APIHOST, api_key: process.env.AUTH };
const out = (step, value) => console.log(JSON.stringify({ step, value }));

async function roundTrip(ow, label, basepath) {
  const created = await ow.routes.create({
    action: 'hello', basepath, relpath: '/world', operation: 'GET', responsetype: 'json',
  });
  const url = created.gwApiUrl + '/world';
  out(`${label}.create`, { url, operations: Object.keys(created.apidoc.paths['/world']) });
  const reply = await fetch(url + '?name=npm');
  out(`${label}.get`, { status: reply.status, body: await reply.json() });
  const listed = await ow.routes.list({ basepath });
  const apidoc = listed.apis[0].value.apidoc;
  out(`${label}.list`, { count: listed.apis.length, action: apidoc.paths['/world'].get['x-openwhisk'].action });
  await ow.routes.delete({ basepath });
  out(`${label}.delete`, { left: (await ow.routes.list({ basepath })).apis.length });
  const gone = await fetch(url);
  out(`${label}.gone`, { status: gone.status });
}

(async () => {
  const ow = openwhisk(options);
  await ow.actions.create({
    name: 'hello', kind: 'python:3',
    action: "def main(a):\n    return {'payload': 'Hello world ' + a.get('name', 'API')}\n",
    annotations: { 'web-export': true },
  });
  await roundTrip(ow, 'plain', '/npmhello');
  await roundTrip(openwhisk({ ...options, apigw_token: 'true' }), 'token', '/npmtoken');
  await ow.actions.delete({ name: 'hello' });
})().catch((err) => {
  console.error(err && (err.stack || err.message || err));
  process.exit(1);
});
