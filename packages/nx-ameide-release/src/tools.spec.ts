import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ReleaseError } from './errors';
import { resolvePythonTools } from './ecosystems/pypi/commands';
import { packPypi } from './ecosystems/pypi/pack';
import { devContext, makeFixtureWorkspace } from './ecosystems/pypi/testing/fixture-project';
import { readdirSync } from 'node:fs';
import { findTool, tryFindTool } from './tools';

/** Real files in temp folders: the lookup is by existence and execute permission only. */
const root = mkdtempSync(join(tmpdir(), 'ameide-tools-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ws = join(root, 'ws');
const binA = join(root, 'a');
const binB = join(root, 'b');
const gopath = join(root, 'gopath');
const marker = join(root, 'ran');
for (const d of [ws, binA, binB, join(gopath, 'bin')]) mkdirSync(d, { recursive: true });

/** An executable that would leave a marker if anything ran it. */
function tool(path: string, executable = true) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\ntouch ${marker}\n`);
  chmodSync(path, executable ? 0o755 : 0o644);
}

const PATH = [binA, '', 'relative/bin', binB].join(delimiter);

function refusal(f: () => unknown): ReleaseError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ReleaseError);
    return e as ReleaseError;
  }
  throw new Error('expected a ReleaseError');
}

describe('findTool', () => {
  beforeAll(() => {
    tool(join(binA, 'uv'), false); // not executable: skipped
    mkdirSync(join(binA, 'go')); // a folder named go: skipped
    tool(join(binB, 'uv'));
    tool(join(binB, 'go'));
    tool(join(gopath, 'bin', 'cosign'));
  });

  it('finds an executable file on PATH, skipping non-executable files, folders, empty and relative entries, and runs nothing', () => {
    expect(findTool('uv', { PATH }, ws)).toBe(join(binB, 'uv'));
    expect(findTool('go', { PATH }, ws)).toBe(join(binB, 'go'));
    expect(existsSync(marker)).toBe(false);
  });

  it('the workspace venv wins over PATH; the environment variable wins over both', () => {
    tool(join(ws, '.venv', 'bin', 'uv'));
    try {
      expect(findTool('uv', { PATH }, ws)).toBe(join(ws, '.venv', 'bin', 'uv'));
      expect(findTool('uv', { PATH, AMEIDE_UV: join(binB, 'uv') }, ws)).toBe(join(binB, 'uv'));
      expect(findTool('uv', { PATH, AMEIDE_UV: 'go' }, ws)).toBe(join(binB, 'go')); // a bare name is looked up on PATH
    } finally {
      rmSync(join(ws, '.venv'), { recursive: true, force: true });
    }
  });

  it('cosign is also found where go install puts it (GOPATH/bin), off PATH', () => {
    expect(findTool('cosign', { PATH, GOPATH: gopath, HOME: root }, ws)).toBe(join(gopath, 'bin', 'cosign'));
    expect(tryFindTool('cosign', { PATH, HOME: root }, ws)).toBeNull();
  });

  it('a missing tool is a ReleaseError naming where it looked and how to install it', () => {
    const uv = refusal(() => findTool('uv', { PATH: binA }, ws));
    expect(uv.what).toBe('uv is not installed: not found in the workspace venv, PATH');
    expect(uv.fix).toMatch(/pip install uv.*pipx install uv.*project's setup/);
    expect(refusal(() => findTool('go', { PATH: '' }, ws)).message).toMatch(/go is not installed[\s\S]*fix: install Go from https:\/\/go\.dev\/dl\//);
    expect(refusal(() => findTool('cosign', { PATH: binA, HOME: root }, ws)).message).toMatch(/fix: `go install github\.com\/sigstore\/cosign\/v3\/cmd\/cosign@v3\.1\.3`/);
    expect(refusal(() => findTool('pnpm', { PATH: binA }, ws)).fix).toMatch(/npm install -g pnpm/);
  });

  it('an environment variable pointing at nothing is refused, not silently replaced by another binary', () => {
    expect(refusal(() => findTool('uv', { PATH, AMEIDE_UV: join(root, 'nope', 'uv') }, ws)).what).toBe(`AMEIDE_UV is ${join(root, 'nope', 'uv')}, which is not an executable file`);
    expect(refusal(() => findTool('cosign', { PATH, COSIGN_BIN: 'no-such-cosign' }, ws)).what).toBe('COSIGN_BIN is no-such-cosign, which is not on PATH');
    expect(refusal(() => tryFindTool('twine', { PATH, AMEIDE_TWINE: join(binA, 'uv') }, ws)).what).toMatch(/not an executable file/);
  });
});

describe('Python tools', () => {
  it('uv missing everywhere: refused with how to install it', () => {
    const e = refusal(() => resolvePythonTools(ws, { PATH: binA }));
    expect(e.message).toMatch(/uv is not installed[\s\S]*fix: install uv: `pip install uv` or `pipx install uv`/);
  });

  it('twine is optional: `uv tool run twine` stands in', () => {
    tool(join(binB, 'python3'));
    const tools = resolvePythonTools(ws, { PATH });
    expect(tools).toEqual({ uv: join(binB, 'uv'), python: join(binB, 'python3'), twine: [join(binB, 'uv'), 'tool', 'run', 'twine'] });
  });
});

describe('pypi pack without uv', () => {
  it('is refused before any side effect: no temp copy, nothing in dist', async () => {
    const { workspaceRoot, projectRoot } = makeFixtureWorkspace();
    const outDir = join(workspaceRoot, 'dist', 'py');
    const saved = { PATH: process.env.PATH, AMEIDE_UV: process.env.AMEIDE_UV };
    const tmpBefore = readdirSync(tmpdir()).filter((f) => f.startsWith('ameide-pypi-pack-'));
    process.env.PATH = binA;
    delete process.env.AMEIDE_UV;
    try {
      await expect(packPypi({ workspaceRoot, projectRoot, project: 'py', context: devContext(), outDir, log: () => undefined })).rejects.toThrow(
        /uv is not installed[\s\S]*pip install uv/,
      );
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.AMEIDE_UV !== undefined) process.env.AMEIDE_UV = saved.AMEIDE_UV;
      rmSync(workspaceRoot, { recursive: true, force: true });
    }
    expect(existsSync(outDir)).toBe(false);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('ameide-pypi-pack-'))).toEqual(tmpBefore);
  });
});
