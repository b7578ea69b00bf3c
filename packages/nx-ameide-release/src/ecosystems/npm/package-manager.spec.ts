import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReleaseError } from '../../errors';
import { buildStep } from './pack';
import { buildScriptCommand, resolveSmokePackageManager, smokeInstallCommand, workspacePackageManager, type PackageManager } from './package-manager';

describe('the workspace package manager, as Nx detects it', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  it.each([
    ['pnpm-lock.yaml', 'pnpm'],
    ['package-lock.json', 'npm'],
    ['yarn.lock', 'yarn'],
  ])('a workspace with %s is %s', (lockFile, pm) => {
    const dir = mkdtempSync(join(tmpdir(), 'ameide-pm-'));
    dirs.push(dir);
    writeFileSync(join(dir, lockFile), '');
    expect(workspacePackageManager(dir)).toBe(pm);
  });
});

describe('build fallback: the project build script, run by the workspace package manager', () => {
  it.each([
    ['npm', ['npm', 'run', 'build']],
    ['pnpm', ['pnpm', 'run', 'build']],
    ['yarn', ['yarn', 'build']],
    ['bun', ['bun', 'run', 'build']],
  ] as [PackageManager, string[]][])('%s: %j', (pm, argv) => {
    const c = buildScriptCommand(pm, '/ws/packages/a');
    expect([c.command, ...c.args]).toEqual(argv);
    const step = buildStep({ scripts: { build: 'tsc' } }, '/ws/packages/a', '/ws', () => false, () => pm);
    expect(step).toEqual({ kind: 'script', command: { command: argv[0], args: argv.slice(1), cwd: '/ws/packages/a' } });
  });

  it('an npm workspace (package-lock.json) builds with npm run build, detected, not assumed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ameide-pm-npm-'));
    try {
      writeFileSync(join(dir, 'package-lock.json'), '{}');
      mkdirSync(join(dir, 'packages', 'a'), { recursive: true });
      const step = buildStep({ scripts: { build: 'tsc' } }, join(dir, 'packages', 'a'), dir);
      expect(step.kind === 'script' && [step.command.command, ...step.command.args]).toEqual(['npm', 'run', 'build']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resolveSmokePackageManager', () => {
  const rows: { name: string; option?: string; env?: Record<string, string>; detected: PackageManager; expected: string; note?: RegExp }[] = [
    { name: 'default: the workspace package manager (pnpm)', detected: 'pnpm', expected: 'pnpm' },
    { name: 'default: the workspace package manager (npm)', detected: 'npm', expected: 'npm' },
    { name: 'the option wins over the workspace', option: 'npm', detected: 'pnpm', expected: 'npm' },
    { name: 'AMEIDE_SMOKE_PACKAGE_MANAGER when no option', env: { AMEIDE_SMOKE_PACKAGE_MANAGER: 'pnpm' }, detected: 'npm', expected: 'pnpm' },
    { name: 'the option wins over the environment', option: 'npm', env: { AMEIDE_SMOKE_PACKAGE_MANAGER: 'pnpm' }, detected: 'pnpm', expected: 'npm' },
    { name: 'a yarn workspace smokes with npm, and says so', detected: 'yarn', expected: 'npm', note: /workspace uses yarn, which smoke does not install with yet; installing with npm/ },
  ];
  it.each(rows)('$name', ({ option, env, detected, expected, note }) => {
    const lines: string[] = [];
    expect(resolveSmokePackageManager(option, env ?? {}, () => detected, (l) => lines.push(l))).toBe(expected);
    if (note) expect(lines.join('\n')).toMatch(note);
    else expect(lines).toEqual([]);
  });

  it('an unsupported explicit choice is refused, naming the option and the choices', () => {
    expect(() => resolveSmokePackageManager('yarn', {}, () => 'npm')).toThrow(ReleaseError);
    expect(() => resolveSmokePackageManager(undefined, { AMEIDE_SMOKE_PACKAGE_MANAGER: 'bun' }, () => 'npm')).toThrow(
      /smokePackageManager is "bun"; smoke installs with npm or pnpm[\s\S]*fix: set smokePackageManager/,
    );
  });

  it('install commands: pnpm add (isolated), npm install with its own cache in the throwaway project', () => {
    const a = { dir: '/tmp/s', name: '@fx/sdk', version: '1.0.0', registryUrl: 'http://127.0.0.1:4873/', userconfig: '/tmp/s/.npmrc-ameide', env: {} };
    expect(smokeInstallCommand('pnpm', '/usr/bin/pnpm', a)).toEqual({
      command: '/usr/bin/pnpm',
      args: ['add', '@fx/sdk@1.0.0', '--registry', 'http://127.0.0.1:4873/', '--config.node-linker=isolated', '--reporter=append-only'],
      cwd: '/tmp/s',
      env: {},
    });
    expect(smokeInstallCommand('npm', '/usr/bin/npm', a)).toEqual({
      command: '/usr/bin/npm',
      args: ['install', '@fx/sdk@1.0.0', '--registry', 'http://127.0.0.1:4873/', '--userconfig', '/tmp/s/.npmrc-ameide', '--cache', '/tmp/s/.npm-cache', '--no-audit', '--no-fund'],
      cwd: '/tmp/s',
      env: {},
    });
  });
});
