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
      const tags = [...(r.tagsPushed || []), ...(r.tagsUnchanged || [])];
      rows.push([channel, `${r.image} (oci)`, r.version || '', r.registry || r.image.split('/')[0], tags.join(' '), (r.gitSha || '').slice(0, 12), `${r.digest ? r.digest.slice(0, 19) : ''}`]);
    } else {
      const o = r.outcome || {};
      rows.push([channel, `${r.name} (${r.ecosystem})`, r.version, r.registry || '', (r.tags || []).join(' '), (r.gitSha || '').slice(0, 12), o.status]);
    }
  }
}
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
