import { ReleaseError } from '../../errors';
import { findUnpublishableSpecs, globToRegExp, parseWorkspaceGlobs, rewriteWorkspaceRanges, rewriteWorkspaceSpec } from './workspace';

const V = '0.1.0-dev.20251113153211';

describe('rewriteWorkspaceSpec: the pnpm publish rewrite, to the version of this release', () => {
  it.each([
    ['caret shorthand takes ^ of this release', 'workspace:^', `^${V}`],
    ['tilde shorthand takes ~ of this release', 'workspace:~', `~${V}`],
    ['star pins this exact release', 'workspace:*', V],
    ['an explicit caret range is kept as written', 'workspace:^1.2.3', '^1.2.3'],
    ['an explicit exact version is kept as written', 'workspace:1.2.3', '1.2.3'],
    ['an explicit tilde range is kept as written', 'workspace:~1.2.0', '~1.2.0'],
    ['a path spec pins the exact version', 'workspace:../cfg', V],
    ['an alias keeps the real name behind npm:', 'workspace:@fx/cfg@^', `npm:@fx/cfg@^${V}`],
    ['an unscoped alias with star', 'workspace:cfg@*', `npm:cfg@${V}`],
  ])('%s (%s -> %s)', (_name, spec, expected) => {
    expect(rewriteWorkspaceSpec(spec, V)).toBe(expected);
  });
});

describe('rewriteWorkspaceRanges', () => {
  const ws = [
    { name: '@fx/cfg', dir: 'packages/cfg' },
    { name: '@fx/sdk', dir: 'packages/sdk' },
  ];

  it('rewrites every dependency field and keeps devDependencies (pnpm keeps them)', () => {
    const { manifest, rewritten } = rewriteWorkspaceRanges(
      {
        name: '@fx/sdk',
        dependencies: { '@fx/cfg': 'workspace:^', semver: '^7.0.0' },
        devDependencies: { '@fx/cfg': 'workspace:*' },
        peerDependencies: { '@fx/cfg': 'workspace:~' },
        optionalDependencies: { '@fx/cfg': 'workspace:../cfg' },
      },
      V,
      ws,
      { where: 'packages/sdk/package.json', projectDir: 'packages/sdk' },
    );
    expect(manifest.dependencies).toEqual({ '@fx/cfg': `^${V}`, semver: '^7.0.0' });
    expect(manifest.devDependencies).toEqual({ '@fx/cfg': V });
    expect(manifest.peerDependencies).toEqual({ '@fx/cfg': `~${V}` });
    expect(manifest.optionalDependencies).toEqual({ '@fx/cfg': V });
    expect(rewritten.map((r) => r.field)).toEqual(['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']);
    expect(findUnpublishableSpecs(manifest)).toEqual([]);
  });

  it('does not modify its input', () => {
    const input = { dependencies: { '@fx/cfg': 'workspace:^' } };
    rewriteWorkspaceRanges(input, V, ws);
    expect(input.dependencies['@fx/cfg']).toBe('workspace:^');
  });

  it('refuses a workspace: range naming a package the workspace does not hold, naming it and the file', () => {
    const run = () =>
      rewriteWorkspaceRanges({ dependencies: { '@fx/gone': 'workspace:^' } }, V, ws, { where: 'packages/sdk/package.json' });
    expect(run).toThrow(ReleaseError);
    expect(run).toThrow(/missing dependency version for workspace: range: dependencies\.@fx\/gone/);
    expect(run).toThrow(/packages\/sdk\/package\.json/);
  });

  it('refuses a workspace: path that is not a workspace package', () => {
    expect(() =>
      rewriteWorkspaceRanges({ dependencies: { x: 'workspace:../nowhere' } }, V, ws, { where: 'p', projectDir: 'packages/sdk' }),
    ).toThrow(/missing dependency version/);
  });
});

describe('findUnpublishableSpecs', () => {
  it('finds workspace: and catalog: anywhere, with the path to the key', () => {
    expect(
      findUnpublishableSpecs({ dependencies: { a: '^1.0.0', b: 'workspace:^' }, overrides: { c: { d: 'catalog:' } } }),
    ).toEqual(['dependencies.b = "workspace:^"', 'overrides.c.d = "catalog:"']);
  });
});

describe('pnpm-workspace.yaml globs', () => {
  it('reads the packages list (block, quoted, comments, negations) and ignores other keys', () => {
    const yaml = "packages:\n  - 'packages/*'\n  - \"apps/**\" # apps\n  # - commented/*\n  - '!**/test/**'\nonlyBuiltDependencies:\n  - esbuild\n";
    expect(parseWorkspaceGlobs(yaml)).toEqual(['packages/*', 'apps/**', '!**/test/**']);
  });
  it('reads an inline list', () => {
    expect(parseWorkspaceGlobs("packages: ['a/*', b]\n")).toEqual(['a/*', 'b']);
  });
  it.each([
    ['packages/*', 'packages/cfg', true],
    ['packages/*', 'packages/cfg/nested', false],
    ['apps/**', 'apps/a/b', true],
    ['**/test/**', 'packages/x/test/y', true],
    ['packages/configuration', 'packages/configuration', true],
  ])('%s matches %s: %s', (glob, dir, expected) => {
    expect(globToRegExp(glob).test(dir)).toBe(expected);
  });
});
