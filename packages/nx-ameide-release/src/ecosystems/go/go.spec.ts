import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ReleaseError } from '../../errors';
import type { VersionContext } from '../../version/types';
import type { CheckInput, PublishInput } from '../../core/contract';
import { AlreadyThere, publishFlow } from '../../core/publish-flow';
import { goEcosystem, goSteps, type GoPackManifest } from './index';
import { readZip } from './modzip';
import { branchFor } from './publish';
import { mirror, mirrorGetsNothing } from './mirror';
import { lookupVia, publishVia } from '../../testing/flow';

/** Real git and real go, in temp dirs; the Go mirror is a bare repository reached through url.<bare>.insteadOf. */
jest.setTimeout(180_000);

const MOD = 'github.com/ameideio/ameide-sdk-go';
const PROJECT_ROOT = 'packages/sdk';
const root = mkdtempSync(join(tmpdir(), 'ameide-go-spec-'));
const ws = join(root, 'ws');
const bare = join(root, 'mirror.git');
const logs: string[] = [];
const log = (l: string) => logs.push(l);

const git = (args: string[], cwd = ws) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();

function write(rel: string, text: string) {
  const f = join(ws, PROJECT_ROOT, rel);
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, text);
}

function commit(msg: string, date: string): VersionContext {
  git(['add', '-A']);
  execFileSync('git', ['commit', '-qm', msg], {
    cwd: ws,
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  const sha = git(['rev-parse', 'HEAD']);
  const time = new Date(Number(git(['log', '-1', '--format=%ct'])) * 1000).toISOString().replace('.000Z', 'Z');
  return context(sha, time, 'v0.1.0');
}

function context(sha: string, time: string, goVersion: string, channel: VersionContext['CHANNEL'] = 'release'): VersionContext {
  const release = channel === 'release';
  return {
    BASE_VERSION: goVersion.slice(1) || '0.1.0',
    GIT_SHA: sha,
    SHORT_SHA: sha.slice(0, 7),
    DATE: time.slice(0, 10).replace(/-/g, ''),
    DATETIME: time.replace(/[-:TZ]/g, ''),
    CHANNEL: channel,
    IS_RELEASE: release,
    NPM_VERSION: goVersion.slice(1),
    NPM_DIST_TAG: release ? 'latest' : 'dev',
    PYPI_VERSION: goVersion.slice(1),
    GO_VERSION: release ? goVersion : '',
    GO_PSEUDO_VERSION: '',
    GHCR_TAGS: [],
    COMMIT_TIME: time,
    REF: release ? `refs/tags/${goVersion}` : 'refs/heads/main',
    RELEASE_TAG: release ? goVersion : '',
    IS_HIGHEST_RELEASE: release,
  };
}

const outDir = (name: string) => {
  const d = join(ws, 'dist', name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
};
const pack = (ctx: VersionContext, out = 'sdk') =>
  goEcosystem.pack!({ workspaceRoot: ws, projectRoot: PROJECT_ROOT, project: 'sdk', context: ctx, outDir: outDir(out), log }) as Promise<GoPackManifest>;

/** The test's git/go environment: the default remote redirected to the bare repo, a private GOPATH. */
const mirrorEnv = {
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: `url.${bare}.insteadOf`,
  GIT_CONFIG_VALUE_0: 'https://github.com/ameideio/ameide-sdk-go',
};
const checkInput = (input: PublishInput, projectRoot: string): CheckInput => ({ ...input, projectRoot, project: input.manifest.project, timeoutMs: 10_000 });
const publishInput = (manifest: GoPackManifest, ctx: VersionContext, env: Record<string, string> = mirrorEnv): PublishInput => ({
  workspaceRoot: ws,
  manifest,
  context: ctx,
  destinations: resolveDestinations({ ecosystem: 'go', facts: { project: 'sdk', goModule: manifest.name }, env }).destinations,
  env,
  log,
});

function goConsumer(env: NodeJS.ProcessEnv, main: string): { dir: string; go: (args: string[]) => string } {
  const dir = mkdtempSync(join(root, 'consumer-'));
  writeFileSync(join(dir, 'go.mod'), 'module example.com/consumer\n\ngo 1.22\n');
  writeFileSync(join(dir, 'main.go'), main);
  const goEnv = { ...process.env, GOPATH: join(dir, 'gopath'), GOMODCACHE: join(dir, 'gopath', 'pkg', 'mod'), GOWORK: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod -modcacherw', ...env };
  return { dir, go: (args) => execFileSync('go', args, { cwd: dir, encoding: 'utf8', env: goEnv }).trim() };
}

const MAIN = `package main

import (
	"fmt"

	sdk "${MOD}"
)

func main() { fmt.Println(sdk.BuildInfo().SourceSHA, sdk.Hello()) }
`;
import { resolveDestinations } from '../../destinations';

let release1: VersionContext;

beforeAll(() => {
  mkdirSync(ws);
  git(['init', '-q', '-b', 'main']);
  writeFileSync(join(ws, '.gitignore'), 'dist/\n*.out\n');
  write('go.mod', `module ${MOD}\n\ngo 1.22\n`);
  write('buildinfo.go', 'package ameide\n\nconst sourceSHA = "unknown"\n\ntype Info struct{ SourceSHA string }\n\nfunc BuildInfo() Info { return Info{SourceSHA: sourceSHA} }\n');
  write('hello.go', 'package ameide\n\nfunc Hello() string { return "hello" }\n');
  write('internal/x/x.go', 'package x\n');
  write('LICENSE', 'Apache-2.0\n');
  write('project.json', '{ "name": "sdk" }\n');
  write('examples/go.mod', 'module example.com/examples\n\ngo 1.22\n');
  write('examples/main.go', 'package main\n\nfunc main() {}\n');
  write('vendor/example.com/dep/dep.go', 'package dep\n');
  release1 = commit('sdk', '2025-11-13T15:32:11Z');
  write('coverage.out', 'ignored by .gitignore, so never packed\n');
  symlinkSync('hello.go', join(ws, PROJECT_ROOT, 'link.go'));
  execFileSync('git', ['init', '-q', '--bare', bare]);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('go pack', () => {
  it('on dev, zips the module at this SHA under its pseudo-version: Go fetches it from a file:// GOPROXY, nothing is listed', async () => {
    const pseudo = `v0.1.1-0.20251113153211-${release1.GIT_SHA.slice(0, 12)}`;
    const dev = { ...context(release1.GIT_SHA, release1.COMMIT_TIME, 'v0.1.0', 'dev'), GO_PSEUDO_VERSION: pseudo };
    const m = await pack(dev);
    expect(m).toMatchObject({ name: MOD, version: pseudo, channel: 'dev', gitSha: release1.GIT_SHA });
    expect(m.skipped).toBeUndefined();
    const v = `dist/sdk/goproxy/${MOD}/@v`;
    expect(m.files.map((f) => [f.kind, f.file])).toEqual([
      ['go-info', `${v}/${pseudo}.info`],
      ['go-mod', `${v}/${pseudo}.mod`],
      ['go-zip', `${v}/${pseudo}.zip`],
      ['go-list', `${v}/list`],
    ]);
    expect(readFileSync(join(ws, v, 'list'), 'utf8')).toBe('');
    const entries = readZip(readFileSync(join(ws, v, `${pseudo}.zip`)));
    expect(entries.map((e) => e.name)).toEqual(['LICENSE', 'buildinfo.go', 'go.mod', 'hello.go', 'internal/x/x.go'].map((p) => `${MOD}@${pseudo}/${p}`));

    const { go } = goConsumer({ GOPROXY: `file://${join(ws, 'dist/sdk/goproxy')}`, GOSUMDB: 'off', GONOSUMDB: '*', GOPRIVATE: '', GONOPROXY: '' }, MAIN);
    go(['get', `${MOD}@${pseudo}`]);
    expect(JSON.parse(go(['mod', 'download', '-json', `${MOD}@${pseudo}`])).Sum).toBe(m.go!.h1);
    expect(go(['run', '.'])).toBe(`${release1.GIT_SHA} hello`);
  });

  it('with no version at all (no pseudo-version either), packs nothing and says why', async () => {
    const m = await pack(context(release1.GIT_SHA, release1.COMMIT_TIME, 'v0.1.0', 'build'));
    expect(m.skipped).toBe('no Go version for this commit on the build channel (GO_VERSION and GO_PSEUDO_VERSION are empty)');
    expect(m.files).toEqual([]);
    expect(readdirSync(join(ws, 'dist', 'sdk'))).toEqual([]);
  });

  it('refuses replace before writing anything, naming go.mod', async () => {
    write('go.mod', `module ${MOD}\n\ngo 1.22\n\nreplace (\n\texample.com/a => ../a\n)\n`);
    try {
      await expect(pack(release1)).rejects.toThrow(/packages\/sdk\/go.mod: replace directive on line 6/);
      await expect(pack(release1)).rejects.toBeInstanceOf(ReleaseError);
      expect(readdirSync(join(ws, 'dist', 'sdk'))).toEqual([]);
    } finally {
      write('go.mod', `module ${MOD}\n\ngo 1.22\n`);
    }
  });

  it('refuses a v2 release of a path without /v2', async () => {
    await expect(pack({ ...release1, GO_VERSION: 'v2.0.0' })).rejects.toThrow(/must end in \/v2[\s\S]*fix: set `module github.com\/ameideio\/ameide-sdk-go\/v2`/);
  });

  it('refuses names that collide case-insensitively', async () => {
    write('Hello.go', 'package ameide\n');
    try {
      await expect(pack(release1)).rejects.toThrow(/case-insensitive file name collision: "Hello.go" and "hello.go"|"hello.go" and "Hello.go"/);
    } finally {
      rmSync(join(ws, PROJECT_ROOT, 'Hello.go'));
    }
  });

  it('writes the GOPROXY layout, with the module files only and the SHA stamped in a temp copy', async () => {
    const m = await pack(release1);
    expect(m).toMatchObject({ name: MOD, ecosystem: 'go', version: 'v0.1.0', gitSha: release1.GIT_SHA, channel: 'release' });
    const v = `dist/sdk/goproxy/${MOD}/@v`;
    expect(m.files.map((f) => [f.kind, f.file])).toEqual([
      ['go-info', `${v}/v0.1.0.info`],
      ['go-mod', `${v}/v0.1.0.mod`],
      ['go-zip', `${v}/v0.1.0.zip`],
      ['go-list', `${v}/list`],
    ]);
    expect(JSON.parse(readFileSync(join(ws, v, 'v0.1.0.info'), 'utf8'))).toEqual({ Version: 'v0.1.0', Time: '2025-11-13T15:32:11Z' });
    const entries = readZip(readFileSync(join(ws, v, 'v0.1.0.zip')));
    const prefix = `${MOD}@v0.1.0/`;
    // No nested module (examples/), no vendored package, no symlink, no Nx project.json, no git-ignored file.
    expect(entries.map((e) => e.name)).toEqual(['LICENSE', 'buildinfo.go', 'go.mod', 'hello.go', 'internal/x/x.go'].map((p) => prefix + p));
    expect(entries.find((e) => e.name.endsWith('buildinfo.go'))!.data.toString()).toContain(`const sourceSHA = "${release1.GIT_SHA}"`);
    expect(readFileSync(join(ws, PROJECT_ROOT, 'buildinfo.go'), 'utf8')).toContain('const sourceSHA = "unknown"');
    expect(git(['status', '--porcelain', '--', PROJECT_ROOT])).toBe('?? packages/sdk/link.go');
    expect(m.go?.h1).toMatch(/^h1:/);
  });

  it('is byte-reproducible: two packs of one SHA give the same sha256 for every file', async () => {
    const a = await pack(release1, 'a');
    const b = await pack(release1, 'b');
    expect(a.files.map((f) => f.sha256)).toEqual(b.files.map((f) => f.sha256));
    expect(readFileSync(join(ws, 'dist/a/goproxy', MOD, '@v/v0.1.0.zip')).equals(readFileSync(join(ws, 'dist/b/goproxy', MOD, '@v/v0.1.0.zip')))).toBe(true);
  });

  it('is what go get takes from a file:// GOPROXY, and Go computes the same h1 hashes', async () => {
    const m = await pack(release1);
    const { go } = goConsumer(
      { GOPROXY: `file://${join(ws, 'dist/sdk/goproxy')}`, GOSUMDB: 'off', GONOSUMDB: '*', GOPRIVATE: '', GONOPROXY: '' },
      MAIN,
    );
    go(['get', `${MOD}@v0.1.0`]);
    const dl = JSON.parse(go(['mod', 'download', '-json', `${MOD}@v0.1.0`]));
    expect(dl.Sum).toBe(m.go!.h1);
    expect(dl.GoModSum).toBe(m.go!.goModH1);
    expect(go(['run', '.'])).toBe(`${release1.GIT_SHA} hello`);
  });
});

describe('go publish to the mirror repository', () => {
  let manifest: GoPackManifest;
  beforeAll(async () => {
    manifest = await pack(release1);
  });

  it('plans without network and redacts credentials in the remote', () => {
    const i = publishInput(manifest, release1, { AMEIDE_GO_REMOTE: 'https://bot:s3cr3t-token@git.example.com/ameideio/ameide-sdk-go' });
    const lines = [`mirror ${mirror(i).shown} branch ${branchFor(i, 'v0.1.0')}`];
    expect(lines.join('\n')).toContain('mirror https://***@git.example.com/ameideio/ameide-sdk-go branch main');
    expect(lines.join('\n')).not.toContain('s3cr3t');
  });

  it('its plan is data: one go-tag artifact, module@tag, to the redacted mirror, with the zip and its sha256', () => {
    const zip = manifest.files.find((f) => f.kind === 'go-zip')!;
    expect(goSteps.plan(publishInput(manifest, release1, { AMEIDE_GO_REMOTE: 'https://bot:s3cr3t-token@git.example.com/ameideio/ameide-sdk-go' }))).toEqual([
      { id: `${MOD}@v0.1.0`, ecosystem: 'go', name: MOD, version: 'v0.1.0', registry: 'https://***@git.example.com/ameideio/ameide-sdk-go', kind: 'go-tag', file: zip.file, sha256: zip.sha256, tags: ['v0.1.0'] },
    ]);
  });

  it('a dry-run through the one flow prints the plan the real run executes, and pushes nothing', async () => {
    const lines: string[] = [];
    const r = await publishFlow(goSteps, { ...publishInput(manifest, release1), log: (l) => lines.push(l) }, { dryRun: true });
    expect(r.outcome).toEqual({ status: 'skipped', reason: 'dry-run' });
    expect(r.plan.map((p) => [p.artifact.id, p.decision.action])).toEqual([[`${MOD}@v0.1.0`, 'publish']]);
    expect(lines.join('\n')).toMatch(new RegExp(`go {3}${MOD.replace(/\./g, '\\.')}@v0\\.1\\.0 {2}-> https://github.com/ameideio/ameide-sdk-go {2}tags v0\\.1\\.0 .*\\[publish\\]`));
    expect(git(['for-each-ref'], bare)).toBe('');
  });

  it('dev and build push nothing to the mirror: an explicit skipped outcome with the reason, even with a packed dev zip', async () => {
    for (const channel of ['dev', 'build'] as const) {
      const ctx = { ...context(release1.GIT_SHA, release1.COMMIT_TIME, 'v0.1.0', channel), GO_PSEUDO_VERSION: `v0.1.1-0.20251113153211-${release1.GIT_SHA.slice(0, 12)}` };
      const devManifest = await pack(ctx, `sdk-${channel}`);
      expect(devManifest.files).toHaveLength(4);
      const reason =
        channel === 'dev'
          ? 'Go publishes no version on the dev channel (only a vX.Y.Z release tags the mirror); the module zip at this SHA goes into the dev image only'
          : 'Go publishes no version on the build channel (only a vX.Y.Z release tags the mirror)';
      await expect(goEcosystem.checks(checkInput(publishInput(devManifest, ctx), PROJECT_ROOT))).resolves.toEqual([]);
      expect(mirrorGetsNothing(ctx)).toBe(reason);
      await expect(goEcosystem.smoke!(publishInput(devManifest, ctx))).resolves.toEqual({ skipped: reason });
      // Under the one flow: nothing planned, said in the log, the mirror untouched.
      const lines: string[] = [];
      const r = await publishFlow(goSteps, { ...publishInput(devManifest, ctx), log: (l) => lines.push(l) }, { dryRun: false });
      expect(r.plan).toEqual([]);
      expect(r.artifacts).toEqual([]);
      if (channel === 'build') expect(r.outcome).toEqual({ status: 'skipped', reason: expect.stringContaining("channel 'build'") }); // the flow's own channel check
      else expect(lines).toContain(`go ${MOD}: nothing planned for the mirror (${reason})`);
    }
    expect(git(['for-each-ref'], bare)).toBe('');
  });

  it('its checks name an unreachable mirror, with the option to set', async () => {
    const found = await goEcosystem.checks(checkInput(publishInput(manifest, release1, { AMEIDE_GO_REMOTE: join(root, 'no-such-repo.git') }), PROJECT_ROOT));
    expect(found).toEqual([expect.objectContaining({ check: 'destination', problem: expect.stringMatching(/not reachable/), fix: expect.stringMatching(/AMEIDE_GO_REMOTE/) })]);
  });

  it('its checks prove push rights without writing: a mirror that can be read but not pushed is named', async () => {
    const refsBefore = git(['for-each-ref'], bare);
    // pushes go elsewhere (as a read-only token would be refused): ls-remote works, push --dry-run does not
    const readOnly = { ...mirrorEnv, GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_1: `url.${join(root, 'no-push-here.git')}.pushInsteadOf`, GIT_CONFIG_VALUE_1: 'https://github.com/ameideio/ameide-sdk-go' };
    const found = await goEcosystem.checks(checkInput(publishInput(manifest, release1, readOnly), PROJECT_ROOT));
    expect(found).toEqual([expect.objectContaining({ check: 'destination', problem: expect.stringMatching(/not reachable for reading and pushing/) })]);
    expect(await goEcosystem.checks(checkInput(publishInput(manifest, release1), PROJECT_ROOT))).toEqual([]);
    expect(git(['for-each-ref'], bare)).toBe(refsBefore); // the dry-run push wrote nothing
  });

  it('first push to an empty bare repository: one commit recording the source SHA, annotated tag', async () => {
    const input = publishInput(manifest, release1);
    expect(await goEcosystem.checks(checkInput(input, PROJECT_ROOT))).toEqual([]);
    await expect(lookupVia(goEcosystem, input)).resolves.toEqual({ state: 'absent' });
    const out = await publishVia(goEcosystem, input);
    expect(out.status).toBe('published');
    expect(git(['cat-file', '-t', 'refs/tags/v0.1.0'], bare)).toBe('tag');
    expect(git(['log', '-1', '--format=%B', 'v0.1.0^{commit}'], bare)).toContain(`Source-SHA: ${release1.GIT_SHA}`);
    expect(git(['log', '-1', '--format=%aI %cI', 'v0.1.0^{commit}'], bare)).toBe('2025-11-13T15:32:11+00:00 2025-11-13T15:32:11+00:00');
    expect(git(['rev-parse', 'main'], bare)).toBe(git(['rev-parse', 'v0.1.0^{commit}'], bare));
    // The mirror's tree is exactly the zip's file set.
    const zipNames = readZip(readFileSync(join(ws, manifest.files.find((f) => f.kind === 'go-zip')!.file))).map((e) => e.name.replace(`${MOD}@v0.1.0/`, ''));
    expect(git(['ls-tree', '-r', '--name-only', 'v0.1.0'], bare).split('\n')).toEqual(zipNames);
    await expect(lookupVia(goEcosystem, input)).resolves.toEqual({ state: 'present', gitSha: release1.GIT_SHA });
  });

  it('a re-run is already-published and moves nothing', async () => {
    const before = git(['for-each-ref', '--format=%(objectname) %(refname)'], bare);
    await expect(publishVia(goEcosystem, publishInput(manifest, release1))).resolves.toMatchObject({ status: 'already-published' });
    expect(git(['for-each-ref', '--format=%(objectname) %(refname)'], bare)).toBe(before);
  });

  it('the same tag from this same SHA but other bytes (a pack that is not reproducible) is refused, nothing pushed', async () => {
    write('extra.go', 'package ameide\n\n// not committed: the work tree differs from the commit\n');
    try {
      const other = await pack(release1, 'sdk-other-bytes');
      expect(other.gitSha).toBe(release1.GIT_SHA);
      const refs = git(['for-each-ref', '--format=%(objectname) %(refname)'], bare);
      await expect(publishVia(goEcosystem, publishInput(other, release1))).rejects.toThrow(new RegExp(`${MOD}@v0.1.0 is already on .* from this same commit ${release1.GIT_SHA}, but with other bytes`));
      expect(git(['for-each-ref', '--format=%(objectname) %(refname)'], bare)).toBe(refs);
    } finally {
      rmSync(join(ws, PROJECT_ROOT, 'extra.go'));
    }
  });

  it('smoke: go get from the mirror (GOPROXY=direct) builds, runs, and matches the packed h1', async () => {
    await goEcosystem.smoke!(publishInput(manifest, release1));
    expect(logs.join('\n')).toContain(`smoke ok: ${MOD}@v0.1.0 ${manifest.go!.h1} -> {SourceSHA:${release1.GIT_SHA}}`);
  });

  it('smoke without a Go toolchain is refused up front, saying how to install Go', async () => {
    await expect(goEcosystem.smoke!(publishInput(manifest, release1, { ...mirrorEnv, PATH: join(root, 'no-bin') }))).rejects.toThrow(
      /go is not installed: not found in PATH[\s\S]*fix: install Go from https:\/\/go\.dev\/dl\//,
    );
  });

  it('the same tag from another SHA is refused naming both SHAs, and the tag is not moved', async () => {
    write('hello.go', 'package ameide\n\nfunc Hello() string { return "hello again" }\n');
    const other = commit('change', '2025-11-14T09:00:00Z');
    const m2 = await pack(other);
    const tagBefore = git(['rev-parse', 'refs/tags/v0.1.0'], bare);
    const headBefore = git(['rev-parse', 'main'], bare);
    const err = await publishVia(goEcosystem, publishInput(m2, other)).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toContain(release1.GIT_SHA);
    expect(err.message).toContain(other.GIT_SHA);
    expect(git(['rev-parse', 'refs/tags/v0.1.0'], bare)).toBe(tagBefore);
    expect(git(['rev-parse', 'main'], bare)).toBe(headBefore);

    // The next version from that SHA goes on top of the branch; v0.1.0 stays where it was.
    const next = { ...other, GO_VERSION: 'v0.2.0', REF: 'refs/tags/v0.2.0', RELEASE_TAG: 'v0.2.0' };
    const m3 = await pack(next);
    await expect(publishVia(goEcosystem, publishInput(m3, next))).resolves.toMatchObject({ status: 'published' });
    expect(git(['rev-parse', 'v0.2.0^{commit}^'], bare)).toBe(headBefore);
    expect(git(['rev-parse', 'refs/tags/v0.1.0'], bare)).toBe(tagBefore);
    expect(git(['show', 'v0.2.0:hello.go'], bare)).toContain('hello again');
  });

  it('a backport (v0.1.1 after v0.2.0) lives on release/v0.1 from v0.1.0; the default branch does not move', async () => {
    write('hello.go', 'package ameide\n\nfunc Hello() string { return "hello, patched" }\n');
    const fix = commit('backport fix', '2025-11-15T09:00:00Z');
    const backport = { ...fix, GO_VERSION: 'v0.1.1', REF: 'refs/tags/v0.1.1', RELEASE_TAG: 'v0.1.1', IS_HIGHEST_RELEASE: false };
    const m = await pack(backport);
    const mainBefore = git(['rev-parse', 'main'], bare);
    expect(`branch ${branchFor(publishInput(m, backport), 'v0.1.1')}`).toContain('branch release/v0.1');
    await expect(publishVia(goEcosystem, publishInput(m, backport))).resolves.toMatchObject({ status: 'published', detail: expect.stringContaining(`${MOD}@v0.1.1`) });
    expect(logs).toContain(`mirror branch release/v0.1 of https://github.com/ameideio/ameide-sdk-go created at v0.1.1 (${git(['rev-parse', 'v0.1.1^{commit}'], bare).slice(0, 12)})`);
    expect(git(['rev-parse', 'main'], bare)).toBe(mainBefore);
    expect(git(['rev-parse', 'v0.1.1^{commit}'], bare)).toBe(git(['rev-parse', 'release/v0.1'], bare));
    expect(git(['rev-parse', 'v0.1.1^{commit}^'], bare)).toBe(git(['rev-parse', 'v0.1.0^{commit}'], bare));
    // a re-run is already-published and moves no branch
    const refs = git(['for-each-ref', '--format=%(objectname) %(refname)'], bare);
    await expect(publishVia(goEcosystem, publishInput(m, backport))).resolves.toMatchObject({ status: 'already-published' });
    expect(git(['for-each-ref', '--format=%(objectname) %(refname)'], bare)).toBe(refs);
  });

  it('a tag made by hand (no Source-SHA) is never taken over', async () => {
    const manual = git(['commit-tree', 'main^{tree}', '-m', 'made by hand'], bare);
    git(['tag', 'v0.9.0', manual], bare);
    const ctx = { ...release1, GIT_SHA: git(['rev-parse', 'HEAD']), GO_VERSION: 'v0.9.0' };
    const m = await pack({ ...ctx, COMMIT_TIME: '2025-11-14T09:00:00Z' });
    await expect(lookupVia(goEcosystem, publishInput(m, ctx))).resolves.toEqual({ state: 'present', gitSha: null });
    await expect(publishVia(goEcosystem, publishInput(m, ctx))).rejects.toThrow(/@v0\.9\.0 is already on https:\/\/github\.com\/ameideio\/ameide-sdk-go, published from an unknown commit \(the registry records none\)[\s\S]*never overwritten or moved/);
    // The preflight names it too, from the same decision.
    expect(await goEcosystem.checks(checkInput(publishInput(m, ctx), PROJECT_ROOT))).toEqual([
      expect.objectContaining({ check: 'version', problem: expect.stringContaining(`${MOD}@v0.9.0 is already on https://github.com/ameideio/ameide-sdk-go, published from an unknown commit`) }),
    ]);
  });

  it('refuses a stale pack manifest (packed from another SHA than HEAD) before any push', async () => {
    const refs = git(['for-each-ref', '--format=%(objectname) %(refname)'], bare);
    await expect(publishVia(goEcosystem, publishInput(manifest, { ...release1, GIT_SHA: 'f'.repeat(40) }))).rejects.toThrow(/was packed from [0-9a-f]{40}, but HEAD is f{40}[\s\S]*fix: nx run sdk:pack --skip-nx-cache/);
    expect(git(['for-each-ref', '--format=%(objectname) %(refname)'], bare)).toBe(refs);
  });

  it('upload says AlreadyThere when the tag appeared meanwhile (a concurrent run): the flow looks again and decides', async () => {
    const m = await pack(release1);
    const input = publishInput(m, release1);
    const [tag] = goSteps.plan(input);
    const refs = git(['for-each-ref', '--format=%(objectname) %(refname)'], bare);
    const err = await goSteps.upload(input, tag).catch((e) => e);
    expect(err).toBeInstanceOf(AlreadyThere);
    expect(git(['for-each-ref', '--format=%(objectname) %(refname)'], bare)).toBe(refs);
  });

  it('a run interrupted after its tag push (branch not moved yet) is completed by the same command: no second commit or tag', async () => {
    write('hello.go', 'package ameide\n\nfunc Hello() string { return "hello, three" }\n');
    const c = commit('three', '2025-11-16T09:00:00Z');
    const v3 = { ...c, GO_VERSION: 'v0.3.0', REF: 'refs/tags/v0.3.0', RELEASE_TAG: 'v0.3.0' };
    const m = await pack(v3);
    const input = publishInput(m, v3);
    const mainBefore = git(['rev-parse', 'main'], bare);
    await goSteps.upload(input, goSteps.plan(input)[0]); // the run stops here
    const tagged = git(['rev-parse', 'v0.3.0^{commit}'], bare);
    expect(git(['rev-parse', 'main'], bare)).toBe(mainBefore);
    expect(git(['rev-parse', 'v0.3.0^{commit}^'], bare)).toBe(mainBefore);
    await expect(publishVia(goEcosystem, input)).resolves.toMatchObject({ status: 'already-published' });
    expect(git(['rev-parse', 'main'], bare)).toBe(tagged);
    expect(git(['rev-parse', 'v0.3.0^{commit}'], bare)).toBe(tagged);
    expect(logs).toContain(`mirror branch main of https://github.com/ameideio/ameide-sdk-go moved at v0.3.0 (${tagged.slice(0, 12)})`);
  });

  it('finish never moves a branch back or sideways: one that moved on meanwhile (a concurrent release) is left and said', async () => {
    write('hello.go', 'package ameide\n\nfunc Hello() string { return "hello, four" }\n');
    const c = commit('four', '2025-11-17T09:00:00Z');
    const v4 = { ...c, GO_VERSION: 'v0.4.0', REF: 'refs/tags/v0.4.0', RELEASE_TAG: 'v0.4.0' };
    const input = publishInput(await pack(v4), v4);
    const [tag] = goSteps.plan(input);
    await goSteps.upload(input, tag);
    // Another release lands on main between this run's tag push and its finish.
    const theirs = git(['commit-tree', 'main^{tree}', '-p', 'main', '-m', 'a concurrent release'], bare);
    git(['update-ref', 'refs/heads/main', theirs], bare);
    const lines = await goSteps.finish!(input, [{ ...tag, outcome: 'published' }]);
    expect(lines).toEqual([expect.stringMatching(/^mirror branch main of https:\/\/github.com\/ameideio\/ameide-sdk-go was left as it is: it moved to [0-9a-f]{12} after v0.4.0 was made/)]);
    expect(git(['rev-parse', 'main'], bare)).toBe(theirs);
  });
});

/** The real payload (packages/ameide_sdk_go), copied into a temp workspace: pack, publish to its own bare mirror, smoke. */
const PAYLOAD = join(__dirname, '../../../../ameide_sdk_go');
(existsSync(join(PAYLOAD, 'buildinfo.go')) ? describe : describe.skip)('the ameide_sdk_go payload', () => {
  const pws = join(root, 'payload-ws');
  const pbare = join(root, 'payload-mirror.git');
  it('packs, go gets from the file proxy with Go agreeing on h1, publishes and smokes with BuildInfo reporting tag and SHA', async () => {
    mkdirSync(join(pws, 'packages'), { recursive: true });
    execFileSync('cp', ['-r', PAYLOAD, join(pws, 'packages', 'ameide_sdk_go')]);
    git(['init', '-q', '-b', 'main'], pws);
    git(['add', '-A'], pws);
    execFileSync('git', ['commit', '-qm', 'payload'], {
      cwd: pws,
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_AUTHOR_DATE: '2025-11-13T15:32:11Z', GIT_COMMITTER_DATE: '2025-11-13T15:32:11Z' },
    });
    execFileSync('git', ['init', '-q', '--bare', pbare]);
    const ctx = context(git(['rev-parse', 'HEAD'], pws), '2025-11-13T15:32:11Z', 'v0.1.0');
    const out = join(pws, 'dist', 'ameide_sdk_go');
    mkdirSync(out, { recursive: true });
    const m = (await goEcosystem.pack!({ workspaceRoot: pws, projectRoot: 'packages/ameide_sdk_go', project: 'ameide_sdk_go', context: ctx, outDir: out, log })) as GoPackManifest;
    const names = readZip(readFileSync(join(pws, m.files.find((f) => f.kind === 'go-zip')!.file))).map((e) => e.name);
    expect(names).toContain(`${MOD}@v0.1.0/buildinfo.go`);
    expect(names).not.toContain(`${MOD}@v0.1.0/project.json`);

    const { go } = goConsumer({ GOPROXY: `file://${join(out, 'goproxy')}`, GOSUMDB: 'off', GONOSUMDB: '*', GOPRIVATE: '', GONOPROXY: '' }, 'package main\n\nfunc main() {}\n');
    expect(JSON.parse(go(['mod', 'download', '-json', `${MOD}@v0.1.0`])).Sum).toBe(m.go!.h1);

    const env = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `url.${pbare}.insteadOf`, GIT_CONFIG_VALUE_0: 'https://github.com/ameideio/ameide-sdk-go' };
    const destinations = resolveDestinations({ ecosystem: 'go', facts: { project: 'ameide_sdk_go', goModule: m.name }, env }).destinations;
    const input: PublishInput = { workspaceRoot: pws, manifest: m, context: ctx, destinations, env, log };
    expect(await goEcosystem.checks(checkInput(input, 'packages/ameide_sdk_go'))).toEqual([]);
    await expect(publishVia(goEcosystem, input)).resolves.toMatchObject({ status: 'published' });
    await goEcosystem.smoke!(input);
    expect(logs.join('\n')).toContain(`Version:v0.1.0 SourceSHA:${ctx.GIT_SHA}}`);
  });
});
