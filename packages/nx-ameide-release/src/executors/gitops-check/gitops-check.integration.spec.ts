import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { PLUGIN_NAME } from '../../names';
import { buildImage, LABEL_CHANNEL, OCI_REVISION } from '../../ecosystems/oci/image';
import { RegistryClient } from '../../ecosystems/oci/registry';
import { startRegistry, type RegistryFixture } from '../../ecosystems/oci/testing/registry-fixture';
import gitopsCheckExecutor from './executor';

/**
 * The gitops-check target's executor against a real docker-registry on loopback: the options
 * createNodes gives it (dirs, prodPaths from nx.json), an image released with its revision label,
 * overlays pinned right and wrong.
 */
jest.setTimeout(120_000);

const A = 'a1'.repeat(20);
const B = 'b2'.repeat(20);
let reg: RegistryFixture;
let ws: string;
let img: string;
const saved = process.env.AMEIDE_OCI_INSECURE;

function write(rel: string, text: string) {
  mkdirSync(dirname(join(ws, rel)), { recursive: true });
  writeFileSync(join(ws, rel), text);
}

const deployment = (image: string, sha?: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cfg\nspec:\n  template:\n    metadata:\n${sha ? `      annotations:\n        ameide.io/image-sha: "${sha}"\n` : '      labels: { app: cfg }\n'}    spec:\n      containers:\n        - name: cfg\n          image: ${image}\n`;

async function run(options: object): Promise<{ success: boolean; out: string }> {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((s) => void lines.push(String(s)));
  const err = jest.spyOn(console, 'error').mockImplementation((s) => void lines.push(String(s)));
  try {
    const ctx = { root: ws, cwd: ws, projectName: 'gitops', isVerbose: false } as unknown as ExecutorContext;
    const r = await gitopsCheckExecutor(options, ctx);
    return { success: r.success, out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  process.env.AMEIDE_OCI_INSECURE = 'true';
  reg = await startRegistry();
  img = `${reg.host}/fx/cfg`;
  ws = mkdtempSync(join(tmpdir(), 'ameide-gitops-target-'));
  write('nx.json', JSON.stringify({ plugins: [{ plugin: PLUGIN_NAME, options: { destinations: { oci: { registry: reg.host, namespace: 'fx' } } } }] }));
  write('packages/cfg/package.json', JSON.stringify({ name: '@fx/cfg', version: '0.0.0', nx: { tags: ['ameide:release'] } }));
  const client = new RegistryClient({ registry: reg.host, insecure: true });
  const image = buildImage({ files: [{ path: 'x.txt', content: Buffer.from(A) }], annotations: { [OCI_REVISION]: A, [LABEL_CHANNEL]: 'release' }, created: '2025-11-13T15:32:11Z' });
  await client.uploadBlob('fx/cfg', image.layer.digest, image.layer.bytes);
  await client.uploadBlob('fx/cfg', image.config.digest, image.config.bytes);
  for (const t of ['1.0.0', 'dev']) await client.putManifest('fx/cfg', t, image.manifest.bytes, image.manifest.mediaType);
  write('deploy/live/app.yaml', deployment(`${img}:1.0.0`, A));
  write('deploy/preview/app.yaml', deployment(`${img}:dev`));
  write('deploy/broken/app.yaml', deployment(`${img}:1.0.0`, B));
});

afterAll(async () => {
  if (saved === undefined) delete process.env.AMEIDE_OCI_INSECURE;
  else process.env.AMEIDE_OCI_INSECURE = saved;
  await reg?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

describe('the gitops-check target against a real registry', () => {
  it('succeeds when the prod paths (configured globs) pin the released tag with its revision; dev paths may float', async () => {
    const r = await run({ dirs: ['deploy/live', 'deploy/preview'], prodPaths: ['**/live/**'] });
    expect(r.out).toBe('[gitops-check gitops] gitops-check: 1 pinned reference(s) checked in prod/staging paths, 1 elsewhere; 0 violation(s)');
    expect(r.success).toBe(true);
  });

  it('fails, naming the file, image and problem, when an annotation is not the revision the registry records', async () => {
    const r = await run({ dirs: ['deploy'], prodPaths: ['**/live/**', '**/broken/**'] });
    expect(r.success).toBe(false);
    expect(r.out).toContain('1 violation(s)');
    expect(r.out).toMatch(new RegExp(`deploy/broken/app\\.yaml:\\d+ +${img.replace(/[.]/g, '\\.')}:1\\.0\\.0 +ameide\\.io/image-sha ${B} is not the image's revision ${A}`));
  });

  it('the default globs (prod, staging) leave these paths unprotected; json prints the report', async () => {
    const r = await run({ dirs: ['deploy'], format: 'json' });
    expect(r.success).toBe(true);
    expect(JSON.parse(r.out.replace(/^\[gitops-check gitops\] /gm, ''))).toEqual({ checked: 0, unprotected: 3, violations: [] });
  });

  it('refuses missing options and a folder that is not there, with the fix', async () => {
    expect(await run({})).toEqual({ success: false, out: expect.stringContaining('gitops.dirs, e.g. ["deploy/overlays"]') });
    expect(await run({ dirs: ['nowhere'] })).toEqual({ success: false, out: expect.stringContaining('nowhere is not a directory') });
  });
});
