import { ReleaseError } from '../../errors';
import { guardSourceManifest, publishDirectory, registryVersion, stampManifest } from './manifest';

const ctx = { NPM_VERSION: '0.1.0-dev.20251113153211+g71e210b' };
const SHA = '71e210beab37b68546d56dceccba18f09264ecc3';
const where = 'packages/sdk/package.json';

describe('guardSourceManifest (before anything is written)', () => {
  const ok = { name: '@fx/sdk', version: '0.0.0' };
  it('accepts the 0.0.0 placeholder', () => {
    expect(() => guardSourceManifest(ok, ctx, where)).not.toThrow();
  });
  it.each([
    ['a real version in the repository', { ...ok, version: '1.2.3' }, /version is "1\.2\.3".*placeholder "0\.0\.0"/s],
    ['no version at all', { name: '@fx/sdk' }, /version is "undefined"/],
    ['no name', { version: '0.0.0' }, /has no "name"/],
    ['a private package', { ...ok, private: true }, /"private": true/],
    ['publishConfig.tag overriding the dist-tag', { ...ok, publishConfig: { tag: 'beta' } }, /publishConfig\.tag/],
    ['publishConfig.registry overriding the registry', { ...ok, publishConfig: { registry: 'https://x/' } }, /publishConfig\.registry/],
  ])('refuses %s, naming the file and the fix', (_n, pkg, message) => {
    const run = () => guardSourceManifest(pkg as Record<string, unknown>, ctx, where);
    expect(run).toThrow(ReleaseError);
    expect(run).toThrow(message);
    expect(run).toThrow(/packages\/sdk\/package\.json/);
    expect(run).toThrow(/fix: /);
  });
  it('refuses a context without a SemVer NPM_VERSION', () => {
    expect(() => guardSourceManifest(ok, { NPM_VERSION: '' }, where)).toThrow(/NPM_VERSION "" is not a SemVer version/);
  });
});

describe('stampManifest', () => {
  const ws = [{ name: '@fx/cfg', dir: 'packages/cfg' }];
  it('publishConfig may point an Nx plugin\'s executors and generators at the published files', () => {
    const pkg = { name: 'p', version: '0.0.0', executors: './.cache/build/executors.json', generators: './.cache/build/generators.json', publishConfig: { executors: './executors.json', generators: './generators.json' } };
    const { manifest } = stampManifest(pkg, { version: ctx.NPM_VERSION, gitSha: SHA, workspacePackages: [], where, projectDir: 'packages/p' });
    expect(manifest).toMatchObject({ executors: './executors.json', generators: './generators.json', publishConfig: {} });
  });

  it('stamps version and gitHead, applies publishConfig like pnpm, rewrites ranges to the registry version', () => {
    const pkg = {
      name: '@fx/sdk',
      version: '0.0.0',
      main: './src/index.ts',
      publishConfig: { access: 'public', main: './dist/index.js' },
      dependencies: { '@fx/cfg': 'workspace:^' },
    };
    const { manifest } = stampManifest(pkg, { version: ctx.NPM_VERSION, gitSha: SHA, workspacePackages: ws, where, projectDir: 'packages/sdk' });
    expect(manifest).toEqual({
      name: '@fx/sdk',
      version: '0.1.0-dev.20251113153211+g71e210b',
      main: './dist/index.js',
      publishConfig: { access: 'public' },
      dependencies: { '@fx/cfg': '^0.1.0-dev.20251113153211' },
      gitHead: SHA,
    });
    expect(pkg.version).toBe('0.0.0');
  });
  it('fails naming the dependency when a workspace-only range would survive', () => {
    const pkg = { name: '@fx/sdk', version: '0.0.0', dependencies: { '@fx/cfg': 'catalog:' } };
    expect(() => stampManifest(pkg, { version: '0.1.0', gitSha: SHA, workspacePackages: ws, where, projectDir: 'packages/sdk' })).toThrow(
      /dependencies\.@fx\/cfg = "catalog:"/,
    );
  });
});

describe('registryVersion', () => {
  it.each([
    ['0.1.0-dev.20251113+g71e210b', '0.1.0-dev.20251113'],
    ['0.1.0', '0.1.0'],
    ['1.2.3+build.5', '1.2.3'],
  ])('%s is stored as %s', (v, expected) => expect(registryVersion(v)).toBe(expected));
  it('refuses a non-SemVer string', () => expect(() => registryVersion('1.2')).toThrow(ReleaseError));
});

describe('publishDirectory (publishConfig.directory, as pnpm reads it)', () => {
  const at = (directory: unknown) => publishDirectory({ name: 'p', publishConfig: { directory } }, 'packages/plug', where);
  it('resolves the folder against the package, inside the workspace', () => {
    expect(at('../../dist/packages/plug')).toBe('dist/packages/plug');
    expect(at('./lib/')).toBe('packages/plug/lib');
  });
  it('is null without one (the package root is packed)', () => expect(publishDirectory({ name: 'p' }, 'packages/plug', where)).toBeNull());
  it.each([
    ['outside the workspace', '../../../elsewhere', /points outside the workspace/],
    ['the package itself', '.', /the package itself or a folder holding it/],
    ['a folder holding the package', '..', /the package itself or a folder holding it/],
    ['an absolute path', '/tmp/x', /not a relative folder/],
    ['not a string', 3, /not a relative folder/],
  ])('refuses %s, naming the field and the fix', (_why, directory, message) => {
    expect(() => at(directory)).toThrow(message);
    expect(() => at(directory)).toThrow(/fix: set publishConfig\.directory to the build output folder/);
  });
  it('is dropped from the stamped manifest, like linkDirectory', () => {
    const pkg = { name: 'p', version: '0.0.0', publishConfig: { access: 'public', directory: '../../dist/p', linkDirectory: true } };
    const { manifest } = stampManifest(pkg, { version: '0.1.0', gitSha: SHA, workspacePackages: [], where, projectDir: 'packages/p' });
    expect(manifest.publishConfig).toEqual({ access: 'public' });
  });
});
