import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from '../exec';
import type { CommitRecord } from '../git';
import { createTempRepo, type TempRepo } from '../git/testing';
import { parseConventional, previousReleaseTag, releaseNotes, releaseTagOption, renderNotes, touches } from './notes';

jest.setTimeout(60_000);

describe('parseConventional', () => {
  it.each([
    ['a feature', 'feat: add the verify command', '', { type: 'feat', scope: null, breaking: false, description: 'add the verify command', breakingNote: null }],
    ['a scoped fix', 'fix(oci): sign the digest', '', { type: 'fix', scope: 'oci', breaking: false, description: 'sign the digest', breakingNote: null }],
    ['a type in capitals is the same type', 'Feat: shout', '', { type: 'feat', scope: null, breaking: false, description: 'shout', breakingNote: null }],
    ['"!" marks a breaking change', 'feat(api)!: drop v1', '', { type: 'feat', scope: 'api', breaking: true, description: 'drop v1', breakingNote: null }],
    [
      'a BREAKING CHANGE footer marks a breaking change and gives its note',
      'refactor: rename the option',
      'Longer text.\n\nBREAKING CHANGE: `--foo` is now `--bar`\n\nSigned-off-by: x',
      { type: 'refactor', scope: null, breaking: true, description: 'rename the option', breakingNote: '`--foo` is now `--bar`' },
    ],
    ['BREAKING-CHANGE with a hyphen counts too', 'perf: faster', 'BREAKING-CHANGE: needs Node 22', { type: 'perf', scope: null, breaking: true, description: 'faster', breakingNote: 'needs Node 22' }],
  ])('%s', (_name, subject, body, expected) => {
    expect(parseConventional(subject, body)).toEqual(expected);
  });

  it.each([
    ['an unknown prefix is an ordinary subject', 'workflow: smoke with --exclude-task-dependencies'],
    ['no space after the colon', 'feat:add'],
    ['no description', 'fix: '],
    ['plain prose', 'Merge the evidence branch'],
    ['an empty scope', 'feat(): nothing'],
  ])('%s -> null', (_name, subject) => {
    expect(parseConventional(subject)).toBeNull();
  });
});

describe('previousReleaseTag', () => {
  it.each([
    ['the first release starts from the beginning', 'v0.1.0', ['v0.1.0'], null],
    ['a release starts from the highest lower release', 'v1.3.0', ['v1.0.0', 'v1.2.0', 'v1.3.0', 'v1.2.1'], 'v1.2.1'],
    ['a backport starts from the previous tag on its line (v1.3.0 is not merged into it)', 'v1.2.4', ['v1.2.2', 'v1.2.3', 'v1.2.4'], 'v1.2.3'],
    ['a stable release skips its release candidates', 'v2.0.0', ['v1.9.0', 'v2.0.0-rc.1', 'v2.0.0-rc.2', 'v2.0.0'], 'v1.9.0'],
    ['a release candidate starts from the previous candidate', 'v2.0.0-rc.2', ['v1.9.0', 'v2.0.0-rc.1', 'v2.0.0-rc.2'], 'v2.0.0-rc.1'],
    ['a first release candidate starts from the last release', 'v2.0.0-rc.1', ['v1.9.0', 'v2.0.0-rc.1'], 'v1.9.0'],
    ['tags that are not release tags are ignored', 'v1.1.0', ['v1', 'latest', 'v1.0', 'v1.0.0', 'v1.1.0'], 'v1.0.0'],
    ['an unreleased commit starts from the highest merged release', null, ['v1.0.0', 'v1.1.0-rc.1'], 'v1.1.0-rc.1'],
    ['an unreleased commit without releases starts from the beginning', null, [], null],
  ])('%s', (_name, tag, merged, expected) => {
    expect(previousReleaseTag(tag, merged)).toBe(expected);
  });
});

describe('releaseTagOption', () => {
  it.each([
    ['no nx.json: the default', null, 'ameide:release'],
    ['no plugin entry: the default', '{"plugins":[]}', 'ameide:release'],
    ['the plugin option wins', '{"plugins":[{"plugin":"@ameideio/nx-ameide-release","options":{"releaseTag":"ship"}}]}', 'ship'],
    ['a plugin given as a string: the default', '{"plugins":["@ameideio/nx-ameide-release"]}', 'ameide:release'],
  ])('%s', (_name, text, expected) => {
    expect(releaseTagOption(text)).toBe(expected);
  });
});

const commit = (sha: string, subject: string, files: string[], body = ''): CommitRecord => ({
  sha: sha.padEnd(40, '0'),
  committed: 0,
  author: 'a',
  subject,
  body,
  files,
});

describe('touches', () => {
  it.each([
    ['a file under the root', 'packages/a', ['packages/a/x.ts'], true],
    ['a sibling with the same prefix is not under the root', 'packages/a', ['packages/ab/x.ts'], false],
    ['a root project is touched by any change', '.', ['README.md'], true],
    ['a commit without files touches nothing', 'packages/a', [], false],
  ])('%s', (_name, root, files, expected) => {
    expect(touches(commit('a', 's', files), root)).toBe(expected);
  });
});

describe('renderNotes', () => {
  const projects = [
    { name: 'sdk-ts', root: 'packages/sdk_ts' },
    { name: 'configuration', root: 'packages/configuration' },
  ];
  const base = { tag: 'v1.1.0', sha: 'f'.repeat(40), commitTime: '2025-11-13T15:32:11Z', previousTag: 'v1.0.0', projects };

  it('groups Conventional Commits by type, breaking changes first, the rest under Other changes', () => {
    const md = renderNotes({
      ...base,
      commits: [
        commit('c1', 'fix(sdk): retry on 503', ['packages/sdk_ts/a.ts']),
        commit('c2', 'feat!: new config format', ['packages/configuration/c.json'], 'BREAKING CHANGE: v1 files are refused'),
        commit('c3', 'update the readme', ['README.md']),
        commit('c4', 'feat(sdk): verify command', ['packages/sdk_ts/b.ts', 'packages/configuration/d.json']),
      ],
    });
    expect(md).toBe(
      [
        '# v1.1.0',
        '',
        `4 commits since v1.0.0; commit ${'f'.repeat(40)} (2025-11-13T15:32:11Z).`,
        '',
        '## Breaking changes',
        '',
        '- new config format (c200000): v1 files are refused',
        '',
        '## Features',
        '',
        '- new config format (c200000)',
        '- **sdk:** verify command (c400000)',
        '',
        '## Bug fixes',
        '',
        '- **sdk:** retry on 503 (c100000)',
        '',
        '## Other changes',
        '',
        '- update the readme (c300000)',
        '',
        '## Packages',
        '',
        '### configuration (`packages/configuration`)',
        '',
        '- feat!: new config format (c200000)',
        '- feat(sdk): verify command (c400000)',
        '',
        '### sdk-ts (`packages/sdk_ts`)',
        '',
        '- fix(sdk): retry on 503 (c100000)',
        '- feat(sdk): verify command (c400000)',
        '',
      ].join('\n'),
    );
  });

  it('lists the commits as they are when none is a Conventional Commit, and says which package had none', () => {
    const md = renderNotes({ ...base, commits: [commit('c1', 'Tidy up', ['packages/sdk_ts/a.ts'])] });
    expect(md).toContain('## Commits\n\n- Tidy up (c100000)\n');
    expect(md).not.toContain('## Other changes');
    expect(md).toContain('### configuration (`packages/configuration`)\n\nNo changes.\n');
  });

  it('says so when nothing changed, and names an unreleased commit by its short SHA', () => {
    const md = renderNotes({ ...base, tag: null, commits: [] });
    expect(md.startsWith(`# Unreleased (fffffff)\n\n0 commits since v1.0.0;`)).toBe(true);
    expect(md).toContain('\nNo changes.\n');
  });
});

describe('release notes from a real repository', () => {
  let r: TempRepo;
  const write = (path: string, text: string) => {
    mkdirSync(join(r.dir, path, '..'), { recursive: true });
    writeFileSync(join(r.dir, path), text);
  };
  const commitAll = async (message: string, time: string) => {
    await r.git('add', '-A');
    await run({
      command: 'git',
      args: ['commit', '-q', '-m', message],
      cwd: r.dir,
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_COMMITTER_DATE: `@${Date.parse(time) / 1000} +0000`, GIT_AUTHOR_DATE: `@${Date.parse(time) / 1000} +0000` },
    });
    return r.git('rev-parse', 'HEAD');
  };
  let featSha: string;
  let fixSha: string;

  beforeAll(async () => {
    r = await createTempRepo('ameide-notes-');
    write('nx.json', '{"plugins":[{"plugin":"@ameideio/nx-ameide-release","options":{}}]}');
    write('packages/lib_a/package.json', JSON.stringify({ name: '@x/lib-a', nx: { tags: ['ameide:release'] } }));
    write('packages/lib_b/project.json', JSON.stringify({ name: 'lib-b', tags: ['ameide:release'] }));
    write('packages/lib_b/package.json', JSON.stringify({ name: '@x/not-this-name' }));
    write('packages/internal/package.json', JSON.stringify({ name: 'internal' }));
    await commitAll('initial', '2025-11-01T08:00:00Z');
    await r.tag('v1.0.0', { annotated: true });
    write('packages/lib_a/index.ts', 'export const a = 1;\n');
    featSha = await commitAll('feat(lib-a): add a', '2025-11-02T08:00:00Z');
    write('packages/lib_b/main.go', 'package b\n');
    fixSha = await commitAll('fix: lib-b builds again', '2025-11-03T08:00:00Z');
    await r.tag('v1.1.0', { annotated: true });
    // after the release: must not appear in its notes
    write('packages/lib_a/later.ts', '\n');
    await commitAll('feat: later', '2025-11-04T08:00:00Z');
  });
  afterAll(() => r.remove());

  it('a release after a feat: and a fix: lists both under their groups, and only the packages each touched', async () => {
    const { markdown, input } = await releaseNotes(r.dir, 'v1.1.0');
    expect(input.previousTag).toBe('v1.0.0');
    expect(input.projects).toEqual(
      expect.arrayContaining([
        { name: '@x/lib-a', root: 'packages/lib_a' },
        { name: 'lib-b', root: 'packages/lib_b' },
      ]),
    );
    expect(input.projects).toHaveLength(2);
    expect(markdown).toBe(
      [
        '# v1.1.0',
        '',
        `2 commits since v1.0.0; commit ${fixSha} (2025-11-03T08:00:00Z).`,
        '',
        '## Features',
        '',
        `- **lib-a:** add a (${featSha.slice(0, 7)})`,
        '',
        '## Bug fixes',
        '',
        `- lib-b builds again (${fixSha.slice(0, 7)})`,
        '',
        '## Packages',
        '',
        '### @x/lib-a (`packages/lib_a`)',
        '',
        `- feat(lib-a): add a (${featSha.slice(0, 7)})`,
        '',
        '### lib-b (`packages/lib_b`)',
        '',
        `- fix: lib-b builds again (${fixSha.slice(0, 7)})`,
        '',
      ].join('\n'),
    );
  });

  it('a backport tag on an older line starts from that line\'s previous tag', async () => {
    await r.git('checkout', '-q', '-b', 'release-1.0', 'v1.0.0');
    write('packages/lib_b/fix.go', 'package b\n');
    const backport = await commitAll('fix(lib-b): backported', '2025-11-05T08:00:00Z');
    await r.tag('v1.0.1');
    await r.git('checkout', '-q', 'main');
    const { input } = await releaseNotes(r.dir, 'refs/tags/v1.0.1');
    expect(input.previousTag).toBe('v1.0.0');
    expect(input.commits.map((c) => c.sha)).toEqual([backport]);
  });

  it('the CLI writes dist/release/notes.md, and refuses a ref git does not know before writing anything', async () => {
    const bin = resolve(__dirname, '..', '..', 'bin', 'nx-ameide-release.js');
    const ok = await run({ command: process.execPath, args: [bin, 'notes', '--cwd', r.dir, '--ref', 'v1.1.0'] });
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
    const written = readFileSync(join(r.dir, 'dist/release/notes.md'), 'utf8');
    expect(written).toBe((await releaseNotes(r.dir, 'v1.1.0')).markdown);

    const bad = await run({ command: process.execPath, args: [bin, 'notes', '--cwd', r.dir, '--ref', 'v9.9.9', '--output', 'dist/other.md'] });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('v9.9.9 does not name a commit');
    expect(bad.stderr).toContain('fix:');
    expect(existsSync(join(r.dir, 'dist/other.md'))).toBe(false);

    const notRepo = mkdtempSync(join(tmpdir(), 'ameide-not-a-repo-'));
    try {
      const none = await run({ command: process.execPath, args: [bin, 'notes', '--cwd', notRepo] });
      expect(none.exitCode).toBe(1);
      expect(none.stderr).toContain('is not inside a git work tree');
      expect(existsSync(join(notRepo, 'dist'))).toBe(false);
    } finally {
      rmSync(notRepo, { recursive: true, force: true });
    }
  });
});
