import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contextDigest, formatContext, parseContext, readPluginOptions, resolveContext, warningLines } from './context';
import { createTempRepo, type TempRepo } from './git/testing';
import { computeContext } from './version/compute';
import type { GitFacts } from './version/facts';

jest.setTimeout(30_000);

const SHA = '71e210beab37b68546d56dceccba18f09264ecc3';
const seed: GitFacts = {
  headSha: SHA,
  commitTime: '2025-11-13T15:32:11Z',
  reachableTags: ['v0.1.0'],
  allTags: ['v0.1.0'],
  tagsAtHead: [],
  dirty: false,
  dirtyPaths: [],
  shallow: false,
  branch: 'main',
};

describe('formatContext / parseContext / contextDigest', () => {
  const dev = computeContext(seed, 'refs/heads/main', { npmDevVersion: '{base}-dev.{date}+g{shortSha}', pypiDevVersion: '{base}.dev{date}' });

  it('env: KEY=VALUE lines, DESIGN.md keys first, GHCR_TAGS comma-separated', () => {
    expect(formatContext(dev, 'env')).toBe(
      [
        'BASE_VERSION=0.1.0',
        `GIT_SHA=${SHA}`,
        'SHORT_SHA=71e210b',
        'DATE=20251113',
        'DATETIME=20251113153211',
        'CHANNEL=dev',
        'IS_RELEASE=false',
        'NPM_VERSION=0.1.0-dev.20251113+g71e210b',
        'NPM_DIST_TAG=dev',
        'PYPI_VERSION=0.1.0.dev20251113',
        'GO_VERSION=',
        `GHCR_TAGS=${SHA},dev`,
        'GO_PSEUDO_VERSION=v0.1.1-0.20251113153211-71e210beab37',
        'COMMIT_TIME=2025-11-13T15:32:11Z',
        'REF=refs/heads/main',
        'RELEASE_TAG=',
        'IS_HIGHEST_RELEASE=false',
        '',
      ].join('\n'),
    );
    expect(formatContext(dev, 'github-output')).toBe(formatContext(dev, 'env'));
  });

  it('json and env both read back to the same context', () => {
    expect(parseContext(formatContext(dev, 'json'))).toEqual(dev);
    expect(parseContext(formatContext(dev, 'env'))).toEqual(dev);
    const build = computeContext(seed, 'refs/heads/feature');
    expect(parseContext(formatContext(build, 'env')).GHCR_TAGS).toEqual([]);
  });

  it('a context missing keys is refused', () => {
    expect(() => parseContext('{"GIT_SHA":"x"}', 'ctx.json')).toThrow(/ctx\.json: the context lacks BASE_VERSION/);
  });

  it('the digest is a stable sha256 that changes with any value', () => {
    expect(contextDigest(dev)).toMatch(/^[0-9a-f]{64}$/);
    expect(contextDigest(parseContext(formatContext(dev, 'json')))).toBe(contextDigest(dev));
    expect(contextDigest({ ...dev, REF: 'refs/heads/other' })).not.toBe(contextDigest(dev));
  });
});

describe('resolveContext on a real repository', () => {
  let r: TempRepo;
  let sha: string;
  beforeAll(async () => {
    r = await createTempRepo();
    await r.commit('first', '2025-11-12T10:00:00Z');
    await r.tag('v1.0.0');
    // nx.json is committed with the second commit: an untracked one would make the tree dirty.
    writeFileSync(
      join(r.dir, 'nx.json'),
      JSON.stringify({ plugins: ['@nx/js', { plugin: '@ameideio/nx-ameide-release', options: { pypiDevVersion: '{base}.dev{date}', releaseTag: 'x' } }] }),
    );
    sha = await r.commit('second', '2025-11-13T15:32:11Z');
    await r.tag('v1.1.0');
  });
  afterAll(() => r.remove());

  it('ref precedence: local tag at HEAD < GITHUB_REF < options.ref', async () => {
    const local = await resolveContext({ workspaceRoot: r.dir, env: {} });
    expect(local).toMatchObject({ REF: 'refs/tags/v1.1.0', CHANNEL: 'release', NPM_VERSION: '1.1.0', GIT_SHA: sha });

    const gh = await resolveContext({ workspaceRoot: r.dir, env: { GITHUB_REF: 'refs/heads/main' } });
    expect(gh).toMatchObject({ REF: 'refs/heads/main', CHANNEL: 'dev', BASE_VERSION: '1.1.0', NPM_DIST_TAG: 'dev' });

    const flag = await resolveContext({ workspaceRoot: r.dir, env: { GITHUB_REF: 'refs/heads/main' }, options: { ref: 'refs/pull/3/merge' } });
    expect(flag).toMatchObject({ REF: 'refs/pull/3/merge', CHANNEL: 'build', GHCR_TAGS: [] });

    const short = await resolveContext({ workspaceRoot: r.dir, env: {}, options: { ref: 'main' } });
    expect(short.REF).toBe('refs/heads/main');
  });

  it('nx.json plugin options apply, flags override them', async () => {
    expect(readPluginOptions(r.dir)).toEqual({ pypiDevVersion: '{base}.dev{date}' });
    const fromNx = await resolveContext({ workspaceRoot: r.dir, env: { GITHUB_REF: 'refs/heads/main' } });
    expect(fromNx.PYPI_VERSION).toBe('1.1.0.dev20251113');
    const flagged = await resolveContext({
      workspaceRoot: r.dir,
      env: { GITHUB_REF: 'refs/heads/main' },
      options: { pypiDevVersion: '{base}.dev{datetime}', devBase: 'next-patch', npmDevVersion: undefined },
    });
    expect(flagged.PYPI_VERSION).toBe('1.1.1.dev20251113153211');
    expect(flagged.NPM_VERSION).toBe(`1.1.1-dev.20251113153211+g${sha.slice(0, 7)}`);
  });

  it('AMEIDE_CONTEXT_FILE: loads the saved context for HEAD, refuses it for another commit', async () => {
    const saved = await resolveContext({ workspaceRoot: r.dir, env: { GITHUB_REF: 'refs/heads/main' } });
    const jsonFile = join(r.dir, '.git', 'ctx.json'); // inside .git: does not dirty the tree
    const envFile = join(r.dir, '.git', 'ctx.env');
    writeFileSync(jsonFile, formatContext(saved, 'json'));
    writeFileSync(envFile, formatContext(saved, 'env'));
    // GITHUB_REF differs on purpose: the file wins, so every job uses the one context.
    expect(await resolveContext({ workspaceRoot: r.dir, env: { AMEIDE_CONTEXT_FILE: jsonFile, GITHUB_REF: 'refs/heads/x' } })).toEqual(saved);
    expect(await resolveContext({ workspaceRoot: r.dir, env: { AMEIDE_CONTEXT_FILE: envFile } })).toEqual(saved);
    await expect(
      resolveContext({ workspaceRoot: r.dir, env: { AMEIDE_CONTEXT_FILE: jsonFile }, options: { ref: 'refs/heads/x' } }),
    ).rejects.toThrow(/computed for refs\/heads\/main, but ref refs\/heads\/x/);
    await expect(resolveContext({ workspaceRoot: r.dir, env: { AMEIDE_CONTEXT_FILE: join(r.dir, 'nope.json') } })).rejects.toThrow(
      /does not exist/,
    );

    writeFileSync(jsonFile, formatContext({ ...saved, GIT_SHA: 'a'.repeat(40) }, 'json'));
    await expect(resolveContext({ workspaceRoot: r.dir, env: { AMEIDE_CONTEXT_FILE: jsonFile } })).rejects.toThrow(
      new RegExp(`is for a{40}, but HEAD is ${sha}[\\s\\S]*fix:`),
    );
  });

  it('a non-release tag warns through the given warn, also for a saved context; a release ref does not', async () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const ctx = await resolveContext({ workspaceRoot: r.dir, env: { GITHUB_REF: 'refs/tags/docs-2024' }, warn });
    expect(ctx.CHANNEL).toBe('build');
    const file = join(r.dir, '.git', 'ctx-docs.json');
    writeFileSync(file, formatContext(ctx, 'json'));
    await resolveContext({ workspaceRoot: r.dir, env: { AMEIDE_CONTEXT_FILE: file }, warn });
    await resolveContext({ workspaceRoot: r.dir, env: { GITHUB_REF: 'refs/heads/main' }, warn });
    expect(warnings).toEqual([
      'tag docs-2024 is not a release tag (those have the form vX.Y.Z or vX.Y.Z-rc.N): running the build channel, nothing is published',
      'tag docs-2024 is not a release tag (those have the form vX.Y.Z or vX.Y.Z-rc.N): running the build channel, nothing is published',
    ]);
  });
});

describe('warningLines', () => {
  it('one plain line; in GitHub Actions also an annotation, escaped as a workflow command', () => {
    expect(warningLines('50% done\nnext', {})).toEqual(['nx-ameide-release: warning: 50% done\nnext']);
    expect(warningLines('50% done\nnext', { GITHUB_ACTIONS: 'true' })).toEqual([
      'nx-ameide-release: warning: 50% done\nnext',
      '::warning title=nx-ameide-release::50%25 done%0Anext',
    ]);
  });
});
