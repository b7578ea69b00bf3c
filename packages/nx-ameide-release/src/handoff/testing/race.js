'use strict';
/**
 * Two pauses of one Application at the same moment, against a real API server, in plain Node (the
 * compiled plugin; jest cannot load the ES-modules client). Both read the object before either
 * writes (a barrier on the first get of each), so the resourceVersion precondition is what decides.
 *
 *   node race.js <kubeconfig> <namespace> <app> <owner> <owner>
 * Prints JSON: { outcomes: [{owner, ok, state?, error?}], conflicts }.
 */
const { load } = require('../../../bin/compiled');
const { connect } = load('src/handoff/cluster');
const { pause } = load('src/handoff/argocd');

async function main([kubeconfig, namespace, app, ...owners]) {
  const real = connect({ kubeconfig, timeoutMs: 15000 });
  let release;
  const allRead = new Promise((r) => (release = r));
  let reads = 0;
  let conflicts = 0;
  const apps = {
    server: real.server,
    list: real.list,
    get: async (ns, name) => {
      const a = await real.get(ns, name);
      if (++reads === owners.length) release();
      await allRead;
      return a;
    },
    patch: async (a, ops) => {
      const r = await real.patch(a, ops);
      if (r === 'conflict') conflicts++;
      return r;
    },
  };
  const rules = { prodPaths: ['**/prod/**'], prodPathsFrom: 'race' };
  const results = await Promise.allSettled(owners.map((owner) => pause({ apps, namespace, owner, clock: () => new Date() }, app, 600000, rules)));
  const outcomes = results.map((r, i) => (r.status === 'fulfilled' ? { owner: owners[i], ok: true, state: r.value.state } : { owner: owners[i], ok: false, error: r.reason.message }));
  process.stdout.write(JSON.stringify({ outcomes, conflicts }) + '\n');
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
