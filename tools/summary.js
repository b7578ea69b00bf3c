#!/usr/bin/env node
// Prints what the local release put where: one row per artifact and channel, from the
// publish-result.json / ghcr-result.json files the executors write next to the artifacts.
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const dir = process.argv[2];
const rows = [];
for (const channel of readdirSync(dir).sort()) {
  for (const file of readdirSync(join(dir, channel)).sort()) {
    const r = JSON.parse(readFileSync(join(dir, channel, file), 'utf8'));
    if (file.endsWith('-ghcr.json')) {
      const tags = [...(r.tagsPushed || []), ...(r.tagsUnchanged || [])].map((t) => (t === r.gitSha ? '<sha>' : t));
      const [registry, ...path] = r.image.split('/');
      rows.push([channel, `${path.join('/')} (oci)`, r.version || '', registry, tags.join(' '), (r.gitSha || '').slice(0, 12), `${r.status} ${r.digest ? r.digest.slice(0, 19) : ''}`]);
    } else {
      const o = r.outcome || {};
      rows.push([channel, `${r.name} (${r.ecosystem})`, r.version, r.registry || '', (r.tags || []).join(' '), (r.gitSha || '').slice(0, 12), o.status]);
    }
  }
}
const order = (r) => ['(npm)', '(pypi)', '(go)', '(oci)'].findIndex((e) => r[1].endsWith(e));
rows.sort((a, b) => a[0].localeCompare(b[0]) || order(a) - order(b) || a[1].localeCompare(b[1]));
console.log('<sha> = the full git SHA; every artifact below is traceable to it (npm gitHead, PyPI Source Commit URL, Go Source-SHA trailer, OCI revision label).');
const head = ['channel', 'artifact', 'version', 'registry', 'tags', 'sha', 'result'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
const line = (r) => r.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ').trimEnd();
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
if (rows.length === 0) {
  console.error('no results found: nothing was published');
  process.exit(1);
}
