import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run, type ExecResult } from '../exec';
import { cloneRepo, createTempRepo, type TempRepo } from '../git/testing';

jest.setTimeout(60_000);

const BIN = resolve(__dirname, '..', '..', 'bin', 'nx-ameide-release.js');

/** The CLI as a real process, with the CI variables of the runner (if any) removed. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ExecResult> {
  const base = { ...process.env };
  for (const k of ['GITHUB_REF', 'GITHUB_OUTPUT', 'GITHUB_ACTIONS', 'AMEIDE_CONTEXT_FILE']) delete base[k];
  return run({ command: process.execPath, args: [BIN, ...args], env: { ...base, ...env } });
}

const cleanup: (() => void)[] = [];
afterAll(() => cleanup.forEach((f) => f()));
async function repo(): Promise<TempRepo> {
  const r = await createTempRepo('ameide-cli-');
  cleanup.push(() => r.remove());
  return r;
}

describe('nx-ameide-release context (real process, real git)', () => {
  let r: TempRepo;
  let sha: string;
  beforeAll(async () => {
    r = await repo();
    await r.commit('first', '2025-11-01T08:00:00Z');
    await r.tag('v0.1.0', { annotated: true });
    sha = await r.commit('second', '2025-11-13T15:32:11Z');
  });

  it('--format env prints the context of a fresh repository', async () => {
    const out = await cli(['context', '--cwd', r.dir, '--format', 'env']);
    expect(out.stderr).toBe('');
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toBe(
      [
        'BASE_VERSION=0.1.0',
        `GIT_SHA=${sha}`,
        `SHORT_SHA=${sha.slice(0, 7)}`,
        'DATE=20251113',
        'DATETIME=20251113153211',
        'CHANNEL=dev',
        'IS_RELEASE=false',
        `NPM_VERSION=0.1.0-dev.20251113153211+g${sha.slice(0, 7)}`,
        'NPM_DIST_TAG=dev',
        'PYPI_VERSION=0.1.0.dev20251113153211',
        'GO_VERSION=',
        `GHCR_TAGS=${sha},dev`,
        `GO_PSEUDO_VERSION=v0.1.1-0.20251113153211-${sha.slice(0, 12)}`,
        'COMMIT_TIME=2025-11-13T15:32:11Z',
        'REF=refs/heads/main',
        'RELEASE_TAG=',
        'IS_HIGHEST_RELEASE=false',
        '',
      ].join('\n'),
    );
  });

  it('every option is a flag; GITHUB_REF picks the channel, --ref beats it', async () => {
    const out = await cli(['context', '--cwd', r.dir, '--format=env', '--npm-dev-version', '{base}-dev.{date}+g{shortSha}', '--dev-base', 'next-patch'], {
      GITHUB_REF: 'refs/heads/feature/x',
    });
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain(`NPM_VERSION=0.1.1-dev.20251113+g${sha.slice(0, 7)}\n`);
    expect(out.stdout).toContain('CHANNEL=build\n');
    expect(out.stdout).toContain('GHCR_TAGS=\n');

    const json = await cli(['context', '--cwd', r.dir, '--ref', 'refs/heads/trunk', '--main-branch', 'trunk'], { GITHUB_REF: 'refs/heads/main' });
    expect(JSON.parse(json.stdout)).toMatchObject({ CHANNEL: 'dev', REF: 'refs/heads/trunk' });
  });

  it('two clones of one SHA, in other places, zones and times, print identical contexts', async () => {
    const a = await cloneRepo(r);
    const b = await cloneRepo(r, ['--no-checkout']);
    cleanup.push(() => a.remove(), () => b.remove());
    await b.git('checkout', '-q', 'main');
    const one = await cli(['context', '--cwd', a.dir, '--format', 'json'], { TZ: 'UTC' });
    await new Promise((res) => setTimeout(res, 1100)); // a later second on the wall clock
    const two = await cli(['context', '--cwd', b.dir, '--format', 'json'], { TZ: 'Pacific/Kiritimati' });
    expect(one.exitCode).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(JSON.parse(one.stdout).GIT_SHA).toBe(sha);
    const d1 = await cli(['context', '--cwd', a.dir, '--format', 'digest']);
    const d2 = await cli(['context', '--cwd', b.dir, '--format', 'digest'], { TZ: 'Asia/Tokyo' });
    expect(d1.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(d2.stdout).toBe(d1.stdout);
  });

  it('github-output appends KEY=VALUE lines to $GITHUB_OUTPUT, and needs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ameide-gho-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'out');
    writeFileSync(file, 'EARLIER=1\n');
    const ok = await cli(['context', '--cwd', r.dir, '--format', 'github-output'], { GITHUB_OUTPUT: file });
    expect(ok.exitCode).toBe(0);
    const written = readFileSync(file, 'utf8');
    expect(written.startsWith('EARLIER=1\nBASE_VERSION=0.1.0\n')).toBe(true);
    expect(written).toContain(`GHCR_TAGS=${sha},dev\n`);

    const missing = await cli(['context', '--cwd', r.dir, '--format', 'github-output']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/GITHUB_OUTPUT is not set\n  fix: /);
  });

  it('a refused release exits 1 with the reason and the fix on stderr', async () => {
    const out = await cli(['context', '--cwd', r.dir, '--ref', 'v0.1.0']);
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/tag v0\.1\.0 does not point at HEAD[\s\S]*fix: check out the tagged commit/);
  });

  it.each([
    { name: '--ref refs/tags/v1.2', args: ['--ref', 'refs/tags/v1.2'], env: {}, tag: 'v1.2', suggestion: 'v1.2.0' },
    { name: 'GITHUB_REF refs/tags/1.2.3', args: [], env: { GITHUB_REF: 'refs/tags/1.2.3' }, tag: '1.2.3', suggestion: 'v1.2.3' },
    { name: '--ref V1.2.3 (short form)', args: ['--ref', 'V1.2.3'], env: {}, tag: 'V1.2.3', suggestion: 'v1.2.3' },
  ])('a tag that looks like a release is refused, naming the expected form: $name', async ({ args, env, tag, suggestion }) => {
    const out = await cli(['context', '--cwd', r.dir, '--format', 'env', ...args], env);
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`tag ${tag} looks like a release but is not one: a release tag has the form vX.Y.Z or vX.Y.Z-rc.N`);
    expect(out.stderr).toContain(`fix: tag the commit as ${suggestion} (git tag ${suggestion} && git push origin ${suggestion})`);
  });

  it('another tag runs the build channel with a warning on stderr, and a ::warning:: annotation in GitHub Actions', async () => {
    const warning = 'nx-ameide-release: warning: tag docs-2024 is not a release tag (those have the form vX.Y.Z or vX.Y.Z-rc.N): running the build channel, nothing is published\n';
    const local = await cli(['context', '--cwd', r.dir, '--ref', 'refs/tags/docs-2024']);
    expect(local.exitCode).toBe(0);
    expect(JSON.parse(local.stdout)).toMatchObject({ CHANNEL: 'build', REF: 'refs/tags/docs-2024', GHCR_TAGS: [] });
    expect(local.stderr).toBe(warning);

    const gha = await cli(['context', '--cwd', r.dir, '--format', 'env'], { GITHUB_REF: 'refs/tags/docs-2024', GITHUB_ACTIONS: 'true' });
    expect(gha.exitCode).toBe(0);
    expect(gha.stdout).toContain('CHANNEL=build\n');
    expect(gha.stdout).not.toContain('warning');
    expect(gha.stderr).toBe(
      `${warning}::warning title=nx-ameide-release::tag docs-2024 is not a release tag (those have the form vX.Y.Z or vX.Y.Z-rc.N): running the build channel, nothing is published\n`,
    );

    // The digest is an Nx cache input computed on every run: it stays quiet.
    const digest = await cli(['context', '--cwd', r.dir, '--format', 'digest', '--ref', 'refs/tags/docs-2024'], { GITHUB_ACTIONS: 'true' });
    expect(digest).toMatchObject({ exitCode: 0, stderr: '' });
  });

  it('digest of a backport: the context --allowBackport gives (never one constant error digest for every backport commit)', async () => {
    const b = await repo();
    await b.commit('one', '2025-11-13T10:00:00Z');
    await b.tag('v2.0.0', { annotated: true });
    const digests: string[] = [];
    for (const [i, when] of ['2025-11-14T10:00:00Z', '2025-11-15T10:00:00Z'].entries()) {
      await b.git('checkout', '-q', '-B', `fix-${i}`, 'v2.0.0');
      await b.commit(`fix ${i}`, when);
      await b.tag(`v1.9.${i + 1}`, { annotated: true });
      const ref = `refs/tags/v1.9.${i + 1}`;
      const d = await cli(['context', '--cwd', b.dir, '--format', 'digest', '--ref', ref]);
      const allowed = await cli(['context', '--cwd', b.dir, '--format', 'digest', '--ref', ref, '--allow-backport']);
      expect(d).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^[0-9a-f]{64}\n$/) });
      expect(d.stdout).toBe(allowed.stdout);
      digests.push(d.stdout);
    }
    expect(digests[0]).not.toBe(digests[1]);
  });

  it('digest still prints one stable line outside a repository and in an empty one', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'ameide-plain-'));
    cleanup.push(() => rmSync(plain, { recursive: true, force: true }));
    const empty = await repo();
    expect(await cli(['context', '--cwd', plain, '--format', 'digest'])).toMatchObject({ exitCode: 0, stdout: 'no-git\n' });
    expect(await cli(['context', '--cwd', empty.dir, '--format', 'digest'])).toMatchObject({ exitCode: 0, stdout: 'no-commits\n' });
    const env = await cli(['context', '--cwd', plain, '--format', 'env']);
    expect(env.exitCode).toBe(1);
    expect(env.stderr).toMatch(/not inside a git work tree/);
  });

  it('--help, and usage errors', async () => {
    const help = await cli(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--npm-dev-version');
    expect(help.stdout).toContain('--allow-backport');
    const bad = await cli(['context', '--format', 'yaml']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/--format must be one of json, env, github-output, digest/);
  });
});
