import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/**
 * The set-up's last step (tools/check-programs.js) checks every external program the tests, the
 * sandbox and the targets call. These tests hold it to the code: a program spawned anywhere must be
 * on its list, and a missing one (a venv without bcrypt, a PATH without skopeo) must be reported by
 * name with its fix, at set-up time.
 */
const ROOT = join(__dirname, '../../../..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const programs = require(join(ROOT, 'tools/programs.js')) as {
  PROGRAMS: { name: string; find?: string[]; python?: string; install: string }[];
  PLUGIN_TOOLS_OPTIONAL: Record<string, string>;
  NOT_PROGRAMS: Record<string, string>;
  checkPrograms(o: { root: string; env?: NodeJS.ProcessEnv; programs?: unknown[]; tools?: unknown }): { name: string; problem: string; fix: string }[];
};
// eslint-disable-next-line @typescript-eslint/no-var-requires
const pluginTools = require('../../src/tools') as typeof import('../../src/tools');

/** Source files whose spawn calls are scanned: the plugin, its tests and fixtures, the payload, tools/. */
function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|js)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Literal program names at spawn call sites: a command object's `command`, spawn/execFile/runSync, findTool, which. */
const CALL_SITES = [
  /\bcommand:\s*'([^'$`]+)'/g,
  /\b(?:spawn|spawnSync|execFile|execFileSync|runSync)\(\s*'([^'$`]+)'/g,
  /\b(?:findTool|tryFindTool)\(\s*'([^'$`]+)'/g,
  /\bwhich\(\s*'([^'$`]+)'/g,
];

function spawnedNames(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const roots = [join(ROOT, 'packages'), join(ROOT, 'tools')];
  for (const file of roots.flatMap((r) => sources(r))) {
    const text = readFileSync(file, 'utf8');
    for (const re of CALL_SITES) {
      for (const m of text.matchAll(re)) {
        const name = m[1];
        // An absolute path is a command a pure test builds and compares, not one it runs.
        if (name.startsWith('/')) continue;
        found.set(name, [...(found.get(name) ?? []), relative(ROOT, file)]);
      }
    }
  }
  return found;
}

describe('the set-up checks every program the code spawns (tools/programs.js)', () => {
  it('knows every program name spawned by the plugin, its tests, the fixtures and tools/', () => {
    const known = new Set([...programs.PROGRAMS.map((p) => p.name), ...Object.keys(pluginTools.TOOLS), ...Object.keys(programs.NOT_PROGRAMS), 'node']);
    const names = spawnedNames();
    // The scan itself must see the call sites it is meant to see.
    expect([...names.keys()]).toEqual(expect.arrayContaining(['git', 'skopeo', 'openssl', 'cosign', 'uv']));
    const unknown = [...names].filter(([name]) => !known.has(name)).map(([name, files]) => `${name} (${[...new Set(files)].join(', ')})`);
    expect(unknown).toEqual([]);
  });

  it('requires every tool of the plugin table unless it says why a test machine may lack it', () => {
    for (const name of Object.keys(programs.PLUGIN_TOOLS_OPTIONAL)) expect(Object.keys(pluginTools.TOOLS)).toContain(name);
  });

  it('pins the bcrypt package in the venv the set-up makes', () => {
    const setup = readFileSync(join(ROOT, 'tools/setup.sh'), 'utf8');
    expect(setup).toMatch(/^VENV_EXTRAS=\(.*\bbcrypt==\d+\.\d+\.\d+\b.*\)$/m);
  });

  describe('reports a missing one by name with its fix', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'programs-check-'));
      // A venv as the set-up would make it without the bcrypt dependency: python, but no bcrypt.
      execFileSync('python3', ['-m', 'venv', '--without-pip', join(dir, '.venv')]);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('a venv without bcrypt', () => {
      const bcrypt = programs.PROGRAMS.filter((p) => p.python === 'bcrypt');
      const problems = programs.checkPrograms({ root: dir, programs: bcrypt, tools: { TOOLS: {} } });
      expect(problems).toEqual([
        expect.objectContaining({ name: 'bcrypt', problem: expect.stringContaining('bcrypt does not import'), fix: expect.stringContaining('VENV_EXTRAS') }),
      ]);
    });

    it('a PATH without skopeo, and a plugin tool the plugin cannot find', () => {
      const skopeo = programs.PROGRAMS.filter((p) => p.name === 'skopeo');
      const problems = programs.checkPrograms({ root: dir, env: { PATH: dir, HOME: dir }, programs: skopeo, tools: pluginTools });
      const names = problems.map((p) => p.name);
      expect(names).toContain('skopeo');
      expect(names).toContain('cosign');
      expect(names).not.toContain('yarn'); // optional, with its reason
      expect(problems.find((p) => p.name === 'skopeo')!.fix).toContain('apt step: skopeo');
    });
  });
});
