import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Nx loads the plugin entry on every command: what it loads is what every `nx` invocation pays.
 * Checked in a fresh node process (jest's own module registry would hide it), from the sources.
 */
function modulesLoadedBy(entry: string): string[] {
  const script = `
    const before = new Set(Object.keys(require.cache));
    const builtins = [];
    const Module = require('node:module');
    const load = Module._load;
    Module._load = function (request, ...rest) { if (request.startsWith('node:') || Module.isBuiltin(request)) builtins.push(request.replace(/^node:/, '')); return load.call(this, request, ...rest); };
    require(${JSON.stringify(entry)});
    Module._load = load;
    const loaded = Object.keys(require.cache).filter((k) => !before.has(k));
    process.stdout.write(JSON.stringify([...loaded, ...builtins.map((b) => 'builtin:' + b)]));
  `;
  const r = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
}

describe('the plugin entry (createNodes) stays light', () => {
  const loaded = modulesLoadedBy(join(__dirname, '..', 'index.ts'));
  const ours = loaded.filter((m) => m.includes(`${join('nx-ameide-release', 'src')}`)).map((m) => m.slice(m.indexOf('src')));

  it('loads createNodes and the destinations it shows', () => {
    expect(ours).toEqual(expect.arrayContaining([join('src', 'plugin', 'create-nodes.ts'), join('src', 'destinations', 'index.ts')]));
  });

  it.each([
    ['semver', /[\\/]node_modules[\\/]semver[\\/]/],
    ['@renovatebot/pep440', /[\\/]@renovatebot[\\/]pep440[\\/]/],
    ['@nx/devkit (hundreds of modules; nx itself is already loaded by the worker)', /[\\/]@nx[\\/]devkit[\\/]/],
    ['yaml', /[\\/]node_modules[\\/]yaml[\\/]/],
    ['the version model and git (src/version/compute, src/git, src/context, src/exec)', /src[\\/](version[\\/](compute|tags|ref)|git[\\/]|context|exec)\.ts$/],
    ['child_process (no git, no registry, no process of any kind)', /^builtin:child_process$/],
    ['http/https/net (no registry)', /^builtin:(https?|net|tls)$/],
  ])('does not load %s', (_what, pattern) => {
    expect(loaded.filter((m) => pattern.test(m))).toEqual([]);
  });

  it('the public API still reaches the version model, on first use', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const api = require('../index');
    expect(typeof api.computeContext).toBe('function');
    expect(api.formatContext).toBeDefined();
    expect(api.createNodes[0]).toBe('**/{project.json,package.json}');
  });
});
