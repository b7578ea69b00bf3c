import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOrThrow } from '../exec';
import { computeContext } from '../version/compute';
import { localRef } from '../version/ref';
import { commitTime, ensureReleaseTagPushed, GitFactsError, isAncestor, readGitFacts } from './facts';
import { cloneRepo, createTempRepo, isolatedGitEnv, type TempRepo } from './testing';

jest.setTimeout(30_000);

const repos: TempRepo[] = [];
const dirs: string[] = [];
async function repo(): Promise<TempRepo> {
  const r = await createTempRepo();
  repos.push(r);
  return r;
}
afterAll(() => {
  for (const r of repos) r.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('readGitFacts on real repositories', () => {
  it('no tags: nothing reachable, and the model falls back to the seed 0.1.0', async () => {
    const r = await repo();
    const sha = await r.commit('first', '2025-11-13T15:32:11Z');
    const facts = await readGitFacts(r.dir);
    expect(facts).toEqual({
      headSha: sha,
      commitTime: '2025-11-13T15:32:11Z',
      reachableTags: [],
      allTags: [],
      tagsAtHead: [],
      dirty: false,
      dirtyPaths: [],
      shallow: false,
      branch: 'main',
    });
    const ctx = computeContext(facts, localRef(facts));
    expect(ctx).toMatchObject({ BASE_VERSION: '0.1.0', CHANNEL: 'dev', DATETIME: '20251113153211', NPM_VERSION: `0.1.0-dev.20251113153211+g${sha.slice(0, 7)}` });
  });

  it('uses the committer time in UTC, not the author time nor the local zone', async () => {
    const r = await repo();
    // 17:32:11 at +0200 is 15:32:11 UTC; the author time is an hour earlier.
    const sha = await r.commit('first', '2025-11-13T15:32:11Z', '+0200');
    expect(await commitTime(r.dir, sha)).toBe('2025-11-13T15:32:11Z');
    expect((await readGitFacts(r.dir)).commitTime).toBe('2025-11-13T15:32:11Z');
  });

  it('ignores tags that are not strict vX.Y.Z SemVer', async () => {
    const r = await repo();
    await r.commit('first');
    await r.tag('v0.3.0');
    await r.commit('second');
    for (const t of ['v1.2', 'release-3', 'v01.2.3', 'v9.9.9+build']) await r.tag(t);
    const facts = await readGitFacts(r.dir);
    expect(facts.reachableTags).toEqual(['v0.3.0']);
    expect(facts.allTags).toEqual(['v0.3.0']);
    expect(facts.tagsAtHead.sort()).toEqual(['release-3', 'v01.2.3', 'v1.2', 'v9.9.9+build']);
    expect(computeContext(facts, 'refs/heads/main').BASE_VERSION).toBe('0.3.0');
  });

  it('the highest SemVer tag wins over the most recent one', async () => {
    const r = await repo();
    await r.commit('a', '2025-01-01T00:00:00Z');
    await r.tag('v0.10.0');
    await r.commit('b', '2025-02-01T00:00:00Z');
    await r.tag('v0.9.5'); // newer commit, lower version (and text order would put it first)
    await r.commit('c', '2025-03-01T00:00:00Z');
    const facts = await readGitFacts(r.dir);
    expect(computeContext(facts, localRef(facts)).BASE_VERSION).toBe('0.10.0');
  });

  it('tags on other branches count for "highest release" but not for the base', async () => {
    const r = await repo();
    await r.commit('a');
    await r.tag('v1.0.0');
    await r.git('switch', '-q', '-c', 'next');
    await r.commit('b');
    await r.tag('v2.0.0');
    await r.git('switch', '-q', 'main');
    await r.commit('c');
    await r.tag('v1.0.1');
    const facts = await readGitFacts(r.dir);
    // The highest reachable stable tag ends the search (v1.0.0 below it is not needed by the model).
    expect(facts.reachableTags).toEqual(['v1.0.1']);
    expect(facts.allTags.sort()).toEqual(['v1.0.0', 'v1.0.1', 'v2.0.0']);
    expect(() => computeContext(facts, 'refs/tags/v1.0.1')).toThrow(/v2\.0\.0 is higher than v1\.0\.1/);
    expect(computeContext(facts, 'refs/tags/v1.0.1', { allowBackport: true })).toMatchObject({
      IS_HIGHEST_RELEASE: false,
      GHCR_TAGS: ['1.0.1', facts.headSha],
    });
  });

  it('tag at HEAD gives the release ref; one commit later it is the branch again', async () => {
    const r = await repo();
    await r.commit('a');
    await r.tag('v1.0.0', { annotated: true });
    let facts = await readGitFacts(r.dir);
    expect(facts.tagsAtHead).toEqual(['v1.0.0']);
    expect(localRef(facts)).toBe('refs/tags/v1.0.0');
    expect(computeContext(facts, localRef(facts))).toMatchObject({ CHANNEL: 'release', NPM_VERSION: '1.0.0', IS_HIGHEST_RELEASE: true });

    await r.commit('b');
    facts = await readGitFacts(r.dir);
    expect(facts.tagsAtHead).toEqual([]);
    expect(localRef(facts)).toBe('refs/heads/main');
    expect(() => computeContext(facts, 'refs/tags/v1.0.0')).toThrow(/v1\.0\.0 does not point at HEAD/);
  });

  it('a prerelease tag at HEAD is a release-channel prerelease', async () => {
    const r = await repo();
    await r.commit('a');
    await r.tag('v1.0.0');
    await r.commit('b');
    await r.tag('v1.1.0-rc.1');
    const facts = await readGitFacts(r.dir);
    expect(computeContext(facts, localRef(facts))).toMatchObject({
      CHANNEL: 'release',
      BASE_VERSION: '1.0.0',
      NPM_VERSION: '1.1.0-rc.1',
      NPM_DIST_TAG: 'next',
      PYPI_VERSION: '1.1.0rc1',
      GHCR_TAGS: ['1.1.0-rc.1', facts.headSha],
    });
  });

  it('a dirty tree is reported (tracked edits and untracked files) and refuses a release', async () => {
    const r = await repo();
    await r.commit('a');
    await r.tag('v1.0.0');
    expect((await readGitFacts(r.dir)).dirty).toBe(false);
    writeFileSync(join(r.dir, 'file0.txt'), 'edited\n');
    writeFileSync(join(r.dir, 'new.txt'), 'new\n');
    const facts = await readGitFacts(r.dir);
    expect(facts.dirty).toBe(true);
    expect(facts.dirtyPaths.sort()).toEqual(['file0.txt', 'new.txt']);
    expect(() => computeContext(facts, localRef(facts))).toThrow(/working tree is dirty \(file0\.txt, new\.txt\)/);
  });

  it('a shallow clone without tags is refused with the fix', async () => {
    const r = await repo();
    await r.commit('a');
    await r.tag('v1.0.0');
    await r.commit('b');
    const shallow = await cloneRepo(r, ['--depth', '1']);
    repos.push(shallow);
    const err = await readGitFacts(shallow.dir).catch((e) => e);
    expect(err).toBeInstanceOf(GitFactsError);
    expect(err.problem).toBe('shallow-without-tags');
    expect(err.message).toMatch(/shallow clone[\s\S]*fix: git fetch --tags --unshallow/);

    await shallow.git('fetch', '-q', '--tags', '--unshallow');
    const facts = await readGitFacts(shallow.dir);
    expect(facts.shallow).toBe(false);
    expect(computeContext(facts, 'refs/heads/main').BASE_VERSION).toBe('1.0.0');
  });

  it('a shallow clone with the tag at HEAD reads, but the release is refused (other tags unknown)', async () => {
    const r = await repo();
    await r.commit('a');
    await r.tag('v1.0.0');
    await r.commit('b');
    await r.tag('v1.1.0');
    const shallow = await cloneRepo(r, ['--depth', '1', '--branch', 'v1.1.0']);
    repos.push(shallow);
    const facts = await readGitFacts(shallow.dir);
    expect(facts.shallow).toBe(true);
    expect(facts.tagsAtHead).toContain('v1.1.0');
    expect(facts.branch).toBeNull();
    expect(() => computeContext(facts, localRef(facts))).toThrow(/shallow clone[\s\S]*--unshallow/);
  });

  it('a directory outside git, and a repository without commits, get clear errors', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'ameide-nogit-'));
    dirs.push(plain);
    const e1 = await readGitFacts(plain).catch((e) => e);
    expect(e1).toBeInstanceOf(GitFactsError);
    expect(e1.problem).toBe('not-a-repo');
    expect(e1.message).toMatch(/not inside a git work tree[\s\S]*fix:/);

    const empty = await repo();
    const e2 = await readGitFacts(empty.dir).catch((e) => e);
    expect(e2.problem).toBe('no-commits');
    expect(e2.message).toMatch(/has no commits yet[\s\S]*fix: make the first commit/);
  });

  it('a detached HEAD without a tag has no local ref', async () => {
    const r = await repo();
    const first = await r.commit('a');
    await r.commit('b');
    await r.git('checkout', '-q', '--detach', first);
    const facts = await readGitFacts(r.dir);
    expect(facts.branch).toBeNull();
    expect(() => localRef(facts)).toThrow(/HEAD is detached[\s\S]*GITHUB_REF is not set[\s\S]*fix: pass --ref/);
  });
});

describe('isAncestor', () => {
  it('answers for the history of a real repository', async () => {
    const r = await repo();
    const a = await r.commit('a');
    const b = await r.commit('b');
    expect(await isAncestor(r.dir, a, b)).toBe(true);
    expect(await isAncestor(r.dir, b, a)).toBe(false);
    expect(await isAncestor(r.dir, b, b)).toBe(true);
    await expect(isAncestor(r.dir, 'f'.repeat(40), b)).rejects.toThrow(/cannot compare/);
  });
});

describe('ensureReleaseTagPushed', () => {
  it('accepts a local release without remote, refuses a tag not on the remote, accepts it once pushed', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'ameide-bare-'));
    dirs.push(bare);
    await runOrThrow({ command: 'git', args: ['init', '-q', '--bare', bare], env: isolatedGitEnv() });
    const r = await repo();
    await r.commit('a');
    await r.tag('v1.0.0', { annotated: true });
    await expect(ensureReleaseTagPushed(r.dir, 'v1.0.0')).resolves.toBe('no-remote');
    await r.git('remote', 'add', 'origin', bare);
    await expect(ensureReleaseTagPushed(r.dir, 'v1.0.0')).rejects.toThrow(/v1\.0\.0 is not on remote 'origin'[\s\S]*git push origin v1\.0\.0/);
    await r.git('push', '-q', 'origin', 'v1.0.0');
    await expect(ensureReleaseTagPushed(r.dir, 'v1.0.0')).resolves.toBe('pushed');
  });

  it('the branch is the full name below refs/heads/, slashes and all (read with shallowness and the git dir in one call)', async () => {
    const r = await repo();
    await r.commit('a');
    await r.git('checkout', '-q', '-b', 'feature/deep/name');
    const facts = await readGitFacts(r.dir);
    expect(facts.branch).toBe('feature/deep/name');
    expect(facts.shallow).toBe(false);
  });

  it('a file named HEAD in the work tree is not taken for the revision', async () => {
    const r = await repo();
    await r.commit('a');
    writeFileSync(join(r.dir, 'HEAD'), 'not a ref\n');
    const facts = await readGitFacts(r.dir);
    expect(facts.headSha).toBe((await r.git('rev-parse', 'HEAD')).trim());
    expect(facts.branch).toBe('main');
    expect(facts.dirtyPaths).toEqual(['HEAD']);
  });
});
