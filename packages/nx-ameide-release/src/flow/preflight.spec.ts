import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReleaseError } from '../errors';
import { sha256Hex } from '../hash';
import { DEFAULT_RELEASE_TAG, releaseDependsOn } from '../plugin/targets';
import type { VersionContext } from '../version/types';
import { artifactFindings, expectedVersion, findingOf, preflightProject, preflightVerdict, PREFLIGHT_FRESH_MS, problemTable, recordMismatch, runTargetsOf, type PreflightRecord, type Problem } from './preflight';

const SHA = 'a'.repeat(40);
const context = { GIT_SHA: SHA, NPM_VERSION: '2.0.0', PYPI_VERSION: '2.0.0', GO_VERSION: 'v2.0.0' } as VersionContext;

const row = (over: Partial<Problem> = {}): Problem => ({
  project: 'ameide_sdk_go',
  ecosystem: 'go',
  check: 'guard',
  problem: 'module path github.com/x/y does not fit v2.0.0',
  fix: 'set `module github.com/x/y/v2`',
  ...over,
});

describe('the preflight table', () => {
  it.each<[string, Problem[], string[]]>([
    ['no problem: only the header', [], ['| project | ecosystem | check | problem | fix |', '|---|---|---|---|---|']],
    [
      'one row per problem, in the order found',
      [row(), row({ project: 'ameide_sdk_python', ecosystem: 'pypi', check: 'credentials', problem: 'refused (HTTP 403)', fix: 'replace PYPI_PASSWORD_FILE' })],
      [
        '| project | ecosystem | check | problem | fix |',
        '|---|---|---|---|---|',
        '| ameide_sdk_go | go | guard | module path github.com/x/y does not fit v2.0.0 | set `module github.com/x/y/v2` |',
        '| ameide_sdk_python | pypi | credentials | refused (HTTP 403) | replace PYPI_PASSWORD_FILE |',
      ],
    ],
    [
      'a pipe or a line break inside a cell keeps the row one line',
      [row({ problem: 'a | b\n  c', fix: 'x' })],
      ['| project | ecosystem | check | problem | fix |', '|---|---|---|---|---|', '| ameide_sdk_go | go | guard | a \\| b / c | x |'],
    ],
  ])('%s', (_name, problems, lines) => {
    expect(problemTable(problems)).toEqual(lines);
  });
});

describe('the decision', () => {
  it.each<[string, Problem[], boolean, RegExp | null]>([
    ['nothing found: publish', [], true, null],
    ['one problem anywhere: nothing is uploaded by anyone', [row()], false, /1 problem\(s\) in ameide_sdk_go .*nothing is uploaded by any project of this run/],
    ['problems of two projects: both named', [row(), row({ project: 'configuration' })], false, /2 problem\(s\) in ameide_sdk_go, configuration/],
  ])('%s', (_name, problems, ready, message) => {
    const verdict = preflightVerdict(problems);
    expect(verdict.ready).toBe(ready);
    if (!verdict.ready) {
      expect(verdict.error.message).toMatch(message!);
      expect(verdict.error.fix).toMatch(/run the same command again/);
    }
  });

  it.each<[string, unknown, { problem: RegExp; fix: RegExp }]>([
    ['a ReleaseError keeps its what, where and fix', new ReleaseError('tag v2.0.0 is not on origin', 'git push origin v2.0.0', '/ws'), { problem: /^\/ws: tag v2.0.0 is not on origin$/, fix: /^git push origin v2.0.0$/ }],
    ['any other error: its first line, and re-run', new Error('ECONNRESET\nstack'), { problem: /^ECONNRESET$/, fix: /same command again/ }],
  ])('%s', (_name, err, want) => {
    const f = findingOf('guard', err);
    expect(f.check).toBe('guard');
    expect(f.problem).toMatch(want.problem);
    expect(f.fix).toMatch(want.fix);
  });
});

describe('the artifact check', () => {
  let root: string;
  const write = (manifest: object) => writeFileSync(join(root, 'dist/p/pack-manifest.json'), JSON.stringify(manifest));
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ameide-preflight-'));
    mkdirSync(join(root, 'dist/p'), { recursive: true });
    writeFileSync(join(root, 'dist/p/p-2.0.0.tgz'), 'bytes');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const good = { project: 'p', name: 'p', ecosystem: 'npm', version: '2.0.0', gitSha: SHA, channel: 'release', files: [{ file: 'dist/p/p-2.0.0.tgz', sha256: sha256Hex('bytes'), kind: 'tgz' }] };

  it.each<[string, object | null, RegExp[]]>([
    ['packed here, for this SHA and version, bytes as packed: nothing', good, []],
    ['no manifest: pack first', null, [/no pack manifest at dist\/p\/pack-manifest.json/]],
    ['another SHA', { ...good, gitSha: 'b'.repeat(40) }, [/packed from b{40}, but HEAD is a{40}/]],
    ['another version', { ...good, version: '1.9.1' }, [/holds version 1.9.1, but this context is 2.0.0/]],
    ['a file changed after pack, and one missing: both found', { ...good, files: [{ ...good.files[0], sha256: '0'.repeat(64) }, { file: 'dist/p/gone.tgz', sha256: '1'.repeat(64), kind: 'tgz' }] }, [/p-2.0.0.tgz changed after pack/, /gone.tgz .* is missing/]],
  ])('%s', (_name, manifest, problems) => {
    if (manifest) write(manifest);
    const { findings } = artifactFindings(root, 'p', 'npm', context);
    expect(findings.map((f) => f.problem)).toEqual(problems.map((p) => expect.stringMatching(p)));
    for (const f of findings) expect(f.fix).toMatch(/^nx run p:pack/);
  });
});

describe('the version a pack manifest must hold', () => {
  const dev = { ...context, GO_VERSION: '', GO_PSEUDO_VERSION: 'v2.0.1-0.20251113153211-71e210beab37' } as VersionContext;
  it.each<[string, Parameters<typeof expectedVersion>, string]>([
    ['npm and PyPI: the context strings', ['npm', context], '2.0.0'],
    ['Go on a release: the tag', ['go', context, 'github.com/x/y/v2'], 'v2.0.0'],
    ['Go on dev, a /v2 module: the pseudo-version as Go names the commit', ['go', dev, 'github.com/x/y/v2'], 'v2.0.1-0.20251113153211-71e210beab37'],
    ['Go on dev, a path without /vN after v2 tags: Go\'s v0.0.0 pseudo-version', ['go', dev, 'github.com/x/y'], 'v0.0.0-20251113153211-71e210beab37'],
  ])('%s', (_name, args, want) => {
    expect(expectedVersion(...args)).toBe(want);
  });
});

describe('what a run checks for a project (from the task graph)', () => {
  const graph = (...ids: string[]) => ({ tasks: Object.fromEntries(ids.map((id) => [id, { target: { project: id.split(':')[0], target: id.split(':')[1] } }])) });
  it.each<[string, ReturnType<typeof graph> | undefined, { packages: boolean; images: boolean }]>([
    ['-t publish: the package registry only', graph('p:pack', 'p:preflight', 'p:publish'), { packages: true, images: false }],
    ['-t publish ghcr: both', graph('p:preflight', 'p:publish', 'p:ghcr'), { packages: true, images: true }],
    ['preflight on its own: both', graph('p:pack', 'p:preflight'), { packages: true, images: true }],
    ['another project publishing, not this one: nothing to check (the run uploads nothing of it)', graph('p:preflight', 'q:preflight', 'q:publish'), { packages: false, images: false }],
    ['another project pushing its image, not this one: nothing', graph('p:pack', 'p:preflight', 'q:ghcr'), { packages: false, images: false }],
    ['another project\'s preflight only: both (a preflight run)', graph('p:preflight', 'q:preflight'), { packages: true, images: true }],
    ['no task graph: both', undefined, { packages: true, images: true }],
  ])('%s', (_name, taskGraph, want) => {
    expect(runTargetsOf(taskGraph, 'p')).toEqual(want);
  });
});

describe('the publish order (dependsOn)', () => {
  const order = releaseDependsOn(DEFAULT_RELEASE_TAG);
  it.each<[string, keyof typeof order, unknown]>([
    ['pack builds first, forwarding nothing to build', 'pack', ['build', '^build']],
    ['preflight checks what pack made', 'preflight', [{ target: 'pack', params: 'forward' }]],
    [
      'publish waits for every release project\'s preflight',
      'publish',
      [
        { target: 'pack', params: 'forward' },
        { target: 'publish', dependencies: true, params: 'forward' },
        { target: 'preflight', projects: 'tag:ameide:release', params: 'forward' },
      ],
    ],
    ['an image only after its package is published', 'ghcr', [{ target: 'publish', params: 'forward' }]],
    [
      'smoke after every publish and image of the run',
      'smoke',
      [
        { target: 'publish', projects: 'tag:ameide:release', params: 'forward' },
        { target: 'ghcr', projects: 'tag:ameide:release', params: 'forward' },
      ],
    ],
  ])('%s', (_name, target, want) => {
    expect(order[target]).toEqual(want);
  });
});

describe('the preflight record stands in for the registry checks of the re-check only when it fits', () => {
  const now = Date.parse('2026-11-25T20:00:00Z');
  const want: Omit<PreflightRecord, 'checkedAt'> = {
    project: 'p', ecosystem: 'npm', gitSha: SHA, ref: 'refs/heads/main', version: '2.0.0-dev.1', packages: true, images: false, sign: 'key',
    destinations: { npm: { registry: 'http://127.0.0.1:4873/', scope: '@acme' } },
  };
  const record = (over: Partial<PreflightRecord> = {}): PreflightRecord => ({
    ...want, images: true, destinations: { ...want.destinations, oci: { registry: '127.0.0.1:5000', namespace: 'acme' } }, checkedAt: new Date(now - 30_000).toISOString(), ...over,
  });
  it.each<[string, PreflightRecord | null, RegExp | null]>([
    ['this run\'s pass, 30 s ago, packages and images checked: fits (publish asks for packages only)', record(), null],
    ['no record (publish run without its preflight, or the preflight failed): checks run', null, /no preflight record/],
    ['another commit', record({ gitSha: 'b'.repeat(40) }), /gitSha b{40}, not a{40}/],
    ['another ref (same SHA, tag instead of main)', record({ ref: 'refs/tags/v2.0.0' }), /ref refs\/tags\/v2.0.0/],
    ['another version', record({ version: '2.0.0' }), /version 2.0.0, not 2.0.0-dev.1/],
    ['the package registry was not checked (an images-only record)', record({ packages: false }), /did not check the package registry/],
    ['the destination moved (AMEIDE_NPM_REGISTRY changed)', record({ destinations: { npm: { registry: 'http://127.0.0.1:9999/', scope: '@acme' } } }), /npm destination changed/],
    ['older than the window', record({ checkedAt: new Date(now - PREFLIGHT_FRESH_MS - 1000).toISOString() }), /old \(at most 600 s count\)/],
    ['from the future (clock moved): not trusted', record({ checkedAt: new Date(now + 60_000).toISOString() }), /old/],
    ['unreadable time', record({ checkedAt: 'yesterday' }), /of unknown old/],
  ])('%s', (_name, rec, why) => {
    const got = recordMismatch(rec, want, now);
    if (why) expect(got).toMatch(why);
    else expect(got).toBeNull();
  });

  it('an image re-check needs an image check with the same signing mode', () => {
    const images = { ...want, packages: false, images: true, sign: 'keyless', destinations: { oci: { registry: '127.0.0.1:5000', namespace: 'acme' } } };
    expect(recordMismatch(record(), images, now)).toMatch(/image registry \(with this signing mode\)/);
    expect(recordMismatch(record({ sign: 'keyless' }), images, now)).toBeNull();
    expect(recordMismatch(record({ images: false }), { ...images, sign: 'key' }, now)).toMatch(/image registry/);
  });
});

describe('the re-check right before an upload reads no registry when this run\'s preflight passed', () => {
  let root: string;
  const dev = { ...context, CHANNEL: 'dev', REF: 'refs/heads/main', SHORT_SHA: 'aaaaaaa', NPM_VERSION: '2.0.0-dev.1', NPM_DIST_TAG: 'dev' } as VersionContext;
  const lines: string[] = [];
  // A registry nobody listens on: every registry read of the checks fails there.
  const input = () => ({
    workspaceRoot: root, project: 'p', projectRoot: 'packages/p', ecosystem: 'npm' as const,
    destinationsConfig: { npm: { registry: 'http://127.0.0.1:9/' } }, context: async () => dev,
    env: { NPM_TOKEN: 'tok' }, log: (l: string) => lines.push(l), packages: true, images: false, timeoutMs: 2000,
  });
  const record = (over: Partial<PreflightRecord> = {}): PreflightRecord => ({
    project: 'p', ecosystem: 'npm', gitSha: SHA, ref: 'refs/heads/main', version: '2.0.0-dev.1', packages: true, images: false, sign: 'key',
    destinations: { npm: { registry: 'http://127.0.0.1:9/' } }, checkedAt: new Date().toISOString(), ...over,
  });
  beforeEach(() => {
    lines.length = 0;
    root = mkdtempSync(join(tmpdir(), 'ameide-recheck-'));
    mkdirSync(join(root, 'dist/p'), { recursive: true });
    mkdirSync(join(root, 'packages/p'), { recursive: true });
    writeFileSync(join(root, 'packages/p/package.json'), JSON.stringify({ name: 'p', version: '0.0.0' }));
    writeFileSync(join(root, 'dist/p/p.tgz'), 'bytes');
    writeFileSync(join(root, 'dist/p/pack-manifest.json'), JSON.stringify({ project: 'p', name: 'p', ecosystem: 'npm', version: '2.0.0-dev.1', gitSha: SHA, channel: 'dev', files: [{ file: 'dist/p/p.tgz', sha256: sha256Hex('bytes'), kind: 'tgz' }] }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const recordFile = () => join(root, 'dist/p/preflight.json');

  it('a fresh record of this SHA, ref and destination: steps 1-3 only, nothing read from the registry', async () => {
    writeFileSync(recordFile(), JSON.stringify(record()));
    expect(await preflightProject({ ...input(), recheck: true })).toEqual([]);
    expect(lines.join('\n')).toMatch(/registry checks: passed by this run's preflight \(dist\/p\/preflight.json\)/);
  });

  it.each<[string, PreflightRecord | null]>([
    ['no record', null],
    ['a record of another commit', record({ gitSha: 'b'.repeat(40) })],
    ['a stale record', record({ checkedAt: new Date(Date.now() - PREFLIGHT_FRESH_MS - 5000).toISOString() })],
  ])('%s: the registry checks run again (and find the registry down)', async (_name, rec) => {
    if (rec) writeFileSync(recordFile(), JSON.stringify(rec));
    const problems = await preflightProject({ ...input(), recheck: true });
    expect(problems).toEqual([expect.objectContaining({ check: 'destination', problem: expect.stringMatching(/npm registry: cannot reach 127\.0\.0\.1:9/) })]);
    expect(lines.join('\n')).toMatch(/registry checks run again: /);
  });

  it('the run-wide preflight removes an old record first and writes none when it finds a problem', async () => {
    writeFileSync(recordFile(), JSON.stringify(record()));
    const problems = await preflightProject({ ...input(), record: true });
    expect(problems).toHaveLength(1);
    expect(existsSync(recordFile())).toBe(false);
  });

  it('a passed preflight writes what it checked, no secret in it', async () => {
    // A pass without a live registry here: a check of neither registry (steps 1-3 only) passes and records that.
    const problems = await preflightProject({ ...input(), packages: false, images: false, record: true });
    expect(problems).toEqual([]);
    const written = JSON.parse(readFileSync(recordFile(), 'utf8')) as PreflightRecord;
    expect(written).toMatchObject({ project: 'p', ecosystem: 'npm', gitSha: SHA, ref: 'refs/heads/main', version: '2.0.0-dev.1', packages: false, images: false });
    expect(Date.now() - Date.parse(written.checkedAt)).toBeLessThan(60_000);
    expect(readFileSync(recordFile(), 'utf8')).not.toContain('tok');
  });
});
