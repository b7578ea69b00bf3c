import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../testing/cli';
import { createTempRepo, type TempRepo } from '../git/testing';

/** `affected` refuses bad input before it asks any registry (the e2e spec affected.spec.ts runs the real thing). */
let repo: TempRepo;
let first: string;
let side: string;
const saved = process.env.GITHUB_OUTPUT;
beforeAll(async () => {
  repo = await createTempRepo('ameide-affected-cli-');
  writeFileSync(join(repo.dir, 'nx.json'), '{}');
  first = await repo.commit('a workspace without release projects');
  await repo.git('checkout', '-q', '-b', 'side');
  side = await repo.commit('elsewhere');
  await repo.git('checkout', '-q', '-');
  await repo.commit('second');
});
afterAll(() => {
  if (saved === undefined) delete process.env.GITHUB_OUTPUT;
  else process.env.GITHUB_OUTPUT = saved;
  rmSync(repo.dir, { recursive: true, force: true });
});

describe('nx-ameide-release affected: bad input', () => {
  it('--format github outside GitHub Actions says what to use instead', async () => {
    delete process.env.GITHUB_OUTPUT;
    const r = await runCli(repo.dir, 'affected', '--format', 'github');
    expect([r.code, r.out, r.err]).toEqual([1, '', expect.stringContaining('GITHUB_OUTPUT is not set')]);
    expect(r.err).toContain('or use --format table|json');
  });

  it('an unknown format or a stray argument is a usage error', async () => {
    expect((await runCli(repo.dir, 'affected', '--format', 'env')).err).toContain('affected --format must be one of table, json, github, got env');
    expect((await runCli(repo.dir, 'affected', 'main')).err).toContain('unexpected argument "main"');
  });

  it('--base must name a commit of HEAD\'s history', async () => {
    const unknown = await runCli(repo.dir, 'affected', '--base', 'deadbeef', '--ref', 'main');
    expect([unknown.code, unknown.err]).toEqual([1, expect.stringContaining('deadbeef does not name a commit')]);
    const elsewhere = await runCli(repo.dir, 'affected', '--base', side, '--ref', 'main');
    expect([elsewhere.code, elsewhere.err]).toEqual([1, expect.stringContaining(`--base ${side} (${side.slice(0, 7)}) is not an ancestor of HEAD`)]);
    // an ancestor is accepted: the next refusal is the missing release projects
    expect((await runCli(repo.dir, 'affected', '--base', first, '--ref', 'main')).err).toContain('no release project in');
  });

  it('a workspace without release projects is refused, nothing written to $GITHUB_OUTPUT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ameide-affected-out-'));
    process.env.GITHUB_OUTPUT = join(dir, 'output');
    writeFileSync(process.env.GITHUB_OUTPUT, '');
    try {
      const r = await runCli(repo.dir, 'affected', '--format', 'github', '--ref', 'main');
      expect([r.code, r.err]).toEqual([1, expect.stringContaining('no release project in')]);
      expect(readFileSync(process.env.GITHUB_OUTPUT, 'utf8')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
