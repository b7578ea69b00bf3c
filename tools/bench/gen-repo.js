#!/usr/bin/env node
// A git repository with many commits and vX.Y.Z tags, made in seconds with `git fast-import`:
//   node tools/bench/gen-repo.js <dir> [commits=20000] [tags=5000]
// Linear history on main, one small file changed per commit, a lightweight tag every commits/tags
// commits (v0.0.1, v0.0.2, ... rolling into minor/major), the last commit untagged (a dev build).
// Commit times are fixed (the context never reads the clock): the same arguments give the same SHAs.
const { execFileSync } = require('node:child_process');
const { mkdirSync } = require('node:fs');

function generate(dir, commits = 20000, tags = 5000) {
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  // Tags spread over the history, HEAD itself untagged (a dev build on main).
  const every = Math.max(1, Math.floor((commits - 1) / tags));
  const parts = [];
  let tagged = 0;
  const t0 = 1_700_000_000;
  for (let i = 1; i <= commits; i++) {
    const content = `commit ${i}\n`;
    const msg = `commit ${i}\n`;
    parts.push(
      `commit refs/heads/main\nmark :${i}\ncommitter bench <bench@localhost> ${t0 + i * 60} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}` +
        `${i > 1 ? `from :${i - 1}\n` : ''}M 644 inline file.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`,
    );
    if (i % every === 0 && i < commits && tagged < tags) {
      tagged++;
      const v = `v${Math.floor(tagged / 1000)}.${Math.floor(tagged / 100) % 10}.${tagged % 100}`;
      parts.push(`reset refs/tags/${v}\nfrom :${i}\n\n`);
    }
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: parts.join(''), maxBuffer: 1 << 30 });
  execFileSync('git', ['checkout', '-q', '-f', 'main'], { cwd: dir });
  // What a CI clone has after a fetch: packed refs, and a commit-graph (git writes one on gc/fetch).
  execFileSync('git', ['pack-refs', '--all'], { cwd: dir });
  execFileSync('git', ['commit-graph', 'write', '--reachable'], { cwd: dir });
  return { dir, commits, tags: tagged };
}

module.exports = { generate };
if (require.main === module) {
  const [dir, commits, tags] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node tools/bench/gen-repo.js <dir> [commits=20000] [tags=5000]');
    process.exit(2);
  }
  const r = generate(dir, Number(commits || 20000), Number(tags || 5000));
  console.log(`${r.dir}: ${r.commits} commits, ${r.tags} tags`);
}
