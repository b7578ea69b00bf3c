import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTEXT_CACHE_DIR, resolveContext } from './context';
import { createTempRepo, type TempRepo } from './git/testing';

jest.setTimeout(60_000);

/** The context cache (src/context.ts): computed once per checkout state, never served for another state. */
describe('the context cache', () => {
  let r: TempRepo;
  let first: string;
  const cacheDir = () => join(r.dir, '.git', CONTEXT_CACHE_DIR);
  const entries = () => readdirSync(cacheDir()).filter((f) => f.endsWith('.json'));
  const resolve = (env: Record<string, string> = { GITHUB_REF: 'refs/heads/main' }, options = {}) =>
    resolveContext({ workspaceRoot: r.dir, env, options, warn: () => undefined });

  beforeEach(async () => {
    r = await createTempRepo();
    first = await r.commit('first', '2025-11-12T10:00:00Z');
    await r.tag('v1.0.0');
    await r.commit('second', '2025-11-13T15:32:11Z');
  });
  afterEach(() => r.remove());

  it('the second call is served from one file in the git directory, and equals the first', async () => {
    const a = await resolve();
    expect(entries()).toHaveLength(1);
    // Altered on disk: if the second call did not read the file, it would not see the change.
    const file = join(cacheDir(), entries()[0]);
    writeFileSync(file, JSON.stringify({ ...a, NPM_DIST_TAG: 'from-the-cache' }));
    expect((await resolve()).NPM_DIST_TAG).toBe('from-the-cache');
    expect(entries()).toHaveLength(1);
    // The cache lives outside the work tree: the tree stays clean.
    expect(await r.git('status', '--porcelain')).toBe('');
  });

  it('a new HEAD gives a new context', async () => {
    const a = await resolve();
    const sha = await r.commit('third', '2025-11-14T00:00:00Z');
    const b = await resolve();
    expect(b.GIT_SHA).toBe(sha);
    expect(b.GIT_SHA).not.toBe(a.GIT_SHA);
  });

  it('a new tag on an ancestor (the base version) and a tag moved to HEAD (the channel) give new contexts', async () => {
    expect((await resolve()).BASE_VERSION).toBe('1.0.0');
    await r.tag('v1.1.0', { at: first });
    expect((await resolve()).BASE_VERSION).toBe('1.1.0');
    // Local ref (no GITHUB_REF): the branch, until a release tag is moved onto HEAD.
    expect((await resolve({})).CHANNEL).toBe('dev');
    await r.git('tag', '-f', 'v1.1.0', 'HEAD');
    expect(await resolve({})).toMatchObject({ CHANNEL: 'release', RELEASE_TAG: 'v1.1.0', BASE_VERSION: '1.1.0' });
  });

  it('another ref, another option or a dirty tree give new contexts', async () => {
    expect((await resolve()).CHANNEL).toBe('dev');
    expect((await resolve({ GITHUB_REF: 'refs/heads/feature' })).CHANNEL).toBe('build');
    expect((await resolve(undefined, { ref: 'refs/heads/feature' })).CHANNEL).toBe('build');
    expect((await resolve(undefined, { devBase: 'next-patch' })).BASE_VERSION).toBe('1.0.0');
    expect((await resolve(undefined, { devBase: 'next-patch' })).NPM_VERSION).toMatch(/^1\.0\.1-dev\./);
    await r.tag('v1.1.0');
    expect((await resolve({})).CHANNEL).toBe('release');
    writeFileSync(join(r.dir, 'untracked.txt'), 'x\n');
    await expect(resolve({})).rejects.toThrow(/working tree is dirty \(untracked\.txt\)/);
  });

  it('a damaged entry is recomputed, and AMEIDE_CONTEXT_CACHE=off writes nothing', async () => {
    const a = await resolve();
    writeFileSync(join(cacheDir(), entries()[0]), '{"half": ');
    expect(await resolve()).toEqual(a);
    const other = await createTempRepo();
    try {
      await other.commit('only');
      await resolveContext({ workspaceRoot: other.dir, env: { GITHUB_REF: 'refs/heads/main', AMEIDE_CONTEXT_CACHE: 'off' } });
      expect(() => readdirSync(join(other.dir, '.git', CONTEXT_CACHE_DIR))).toThrow(/ENOENT/);
    } finally {
      other.remove();
    }
  });
});
