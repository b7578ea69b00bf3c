import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReleaseError } from '../errors';
import { sha256Hex } from '../hash';
import { DEFAULT_RELEASE_TAG, releaseDependsOn } from '../plugin/targets';
import type { VersionContext } from '../version/types';
import { artifactFindings, expectedVersion, findingOf, preflightVerdict, problemTable, runTargetsOf, type Problem } from './preflight';

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
    ['another project publishing does not count', graph('p:preflight', 'q:publish'), { packages: true, images: true }],
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
