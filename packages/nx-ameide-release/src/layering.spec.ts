import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The layering rule file (.dependency-cruiser.cjs) can fail: an ecosystem importing the flow is
// refused, with the offending import named. (The real tree is checked by tools/test-all.sh.)
const pkg = join(__dirname, '..');
const depcruise = join(pkg, '../../node_modules/dependency-cruiser/bin/dependency-cruise.mjs'); // a root devDependency (its package exports hide bin/)

describe('the layering rule file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'layers-'));
    cpSync(join(pkg, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    mkdirSync(join(dir, 'src/flow'), { recursive: true });
    mkdirSync(join(dir, 'src/ecosystems/npm'), { recursive: true });
    mkdirSync(join(dir, 'src/ecosystems/pypi'), { recursive: true });
    writeFileSync(join(dir, 'src/flow/preflight.ts'), 'export const preflight = 1;\n');
    writeFileSync(join(dir, 'src/ecosystems/pypi/index.ts'), 'export const pypi = 1;\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cruise = () => spawnSync(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: dir, encoding: 'utf8' });

  it('refuses an ecosystem that imports the flow, naming the import', () => {
    writeFileSync(join(dir, 'src/ecosystems/npm/index.ts'), "import { preflight } from '../../flow/preflight';\nexport const npm = preflight;\n");
    const r = cruise();
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('ecosystem-not-orchestration: src/ecosystems/npm/index.ts → src/flow/preflight.ts');
  });

  it('refuses an ecosystem that imports another ecosystem', () => {
    writeFileSync(join(dir, 'src/ecosystems/npm/index.ts'), "import { pypi } from '../pypi';\nexport const npm = pypi;\n");
    const r = cruise();
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('ecosystem-alone: src/ecosystems/npm/index.ts → src/ecosystems/pypi/index.ts');
  });

  it('passes the same files without the wrong import', () => {
    writeFileSync(join(dir, 'src/ecosystems/npm/index.ts'), 'export const npm = 1;\n');
    expect(cruise().status).toBe(0);
  });
});
