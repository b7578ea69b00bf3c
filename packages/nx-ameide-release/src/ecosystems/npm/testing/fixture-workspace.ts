import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { VersionContext } from '../../../version/types';

/**
 * A small pnpm workspace in a temp git repo, shaped like the real one: @fx/cfg (plain JS,
 * no build) and @fx/sdk (a `build` script writing dist/, depends on "@fx/cfg": "workspace:^").
 * Both export buildInfo() read from their own package.json, like the payload packages.
 */
export interface FixtureWorkspace {
  root: string;
  git(...args: string[]): string;
  commit(message: string): string; // returns the new HEAD sha
  write(rel: string, content: string): void;
}

const BUILD_INFO = `exports.buildInfo = () => { const p = require('../package.json'); return { name: p.name, version: p.version, gitSha: p.gitHead || 'unknown' }; };\n`;

export function createFixtureWorkspace(): FixtureWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'ameide-npm-ws-'));
  const write = (rel: string, content: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  };
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.invalid',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.invalid',
      },
    }).trim();
  write('package.json', JSON.stringify({ name: 'fx-root', version: '0.0.0', private: true }, null, 2));
  write('pnpm-workspace.yaml', "packages:\n  - 'packages/*'\n  # comments are ignored\n  - '!packages/ignored'\n");
  write('.gitignore', 'node_modules/\ndist/\n');
  write(
    'packages/cfg/package.json',
    JSON.stringify({ name: '@fx/cfg', version: '0.0.0', main: './lib/index.js', files: ['lib'], publishConfig: { access: 'public' } }, null, 2),
  );
  write('packages/cfg/lib/index.js', BUILD_INFO);
  write('packages/cfg/README.md', '# @fx/cfg\n');
  write(
    'packages/sdk/package.json',
    JSON.stringify(
      {
        name: '@fx/sdk',
        version: '0.0.0',
        main: './dist/index.js',
        files: ['dist'],
        scripts: { build: 'node build.js' },
        dependencies: { '@fx/cfg': 'workspace:^' },
        devDependencies: { '@fx/cfg': 'workspace:*' },
      },
      null,
      2,
    ),
  );
  write(
    'packages/sdk/build.js',
    "const fs=require('fs');fs.rmSync('dist',{recursive:true,force:true});fs.mkdirSync('dist');fs.copyFileSync('src/index.js','dist/index.js');\n",
  );
  write('packages/sdk/src/index.js', BUILD_INFO);
  git('init', '-q', '-b', 'main');
  const commit = (message: string) => {
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  commit('fixture workspace');
  return { root, git, commit, write };
}

/** A version context as the version model would produce it for a dev or release build. */
export function fixtureContext(over: Partial<VersionContext> & { GIT_SHA: string }): VersionContext {
  const sha = over.GIT_SHA;
  const channel = over.CHANNEL ?? 'dev';
  const version = over.NPM_VERSION ?? (channel === 'release' ? '0.1.0' : `0.1.0-dev.20251113153211+g${sha.slice(0, 7)}`);
  return {
    BASE_VERSION: '0.1.0',
    SHORT_SHA: sha.slice(0, 7),
    DATE: '20251113',
    DATETIME: '20251113153211',
    CHANNEL: channel,
    IS_RELEASE: channel === 'release',
    NPM_VERSION: version,
    NPM_DIST_TAG: channel === 'release' ? 'latest' : channel === 'dev' ? 'dev' : '',
    PYPI_VERSION: '0.1.0.dev20251113153211',
    GO_VERSION: channel === 'release' ? 'v0.1.0' : '',
    GO_PSEUDO_VERSION: '',
    GHCR_TAGS: [sha],
    COMMIT_TIME: '2025-11-13T15:32:11Z',
    REF: channel === 'release' ? 'refs/tags/v0.1.0' : channel === 'dev' ? 'refs/heads/main' : 'refs/heads/feature',
    RELEASE_TAG: channel === 'release' ? 'v0.1.0' : '',
    IS_HIGHEST_RELEASE: channel === 'release',
    ...over,
  };
}
