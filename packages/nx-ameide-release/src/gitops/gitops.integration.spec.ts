import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from '../testing/cli';
import { PLUGIN_NAME } from '../names';
import { buildImage, LABEL_CHANNEL, OCI_REVISION } from '../ecosystems/oci/image';
import { RegistryClient } from '../ecosystems/oci/registry';
import { startRegistry, type RegistryFixture } from '../ecosystems/oci/testing/registry-fixture';

/**
 * gitops-check against a real docker-registry: images of the workspace's release project pushed
 * with their revision label, overlays that pin them right and wrong.
 */
jest.setTimeout(120_000);

const A = 'a1'.repeat(20);
const B = 'b2'.repeat(20);
let reg: RegistryFixture;
let ws: string;
const saved = process.env.AMEIDE_OCI_INSECURE;

function write(rel: string, text: string) {
  mkdirSync(dirname(join(ws, rel)), { recursive: true });
  writeFileSync(join(ws, rel), text);
}

/** An image whose manifest records `revision` (as the ghcr target writes it), pushed under `tags`. */
async function push(revision: string, tags: string[]) {
  const client = new RegistryClient({ registry: reg.host, insecure: true });
  const img = buildImage({ files: [{ path: 'x.txt', content: Buffer.from(revision) }], annotations: { [OCI_REVISION]: revision, [LABEL_CHANNEL]: 'release' }, created: '2025-11-13T15:32:11Z' });
  await client.uploadBlob('fx/cfg', img.layer.digest, img.layer.bytes);
  await client.uploadBlob('fx/cfg', img.config.digest, img.config.bytes);
  for (const t of tags) await client.putManifest('fx/cfg', t, img.manifest.bytes, img.manifest.mediaType);
  return img.manifest.digest;
}

const cli = (...args: string[]) => runCli(ws, ...args);

const deployment = (image: string, annotation?: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cfg
spec:
  template:
    metadata:
${annotation ? `      annotations:\n        ameide.io/image-sha: "${annotation}"\n` : '      labels: { app: cfg }\n'}    spec:
      containers:
        - name: cfg
          image: ${image}
        - name: proxy
          image: nginx:latest
`;

let img: string;
beforeAll(async () => {
  process.env.AMEIDE_OCI_INSECURE = 'true';
  reg = await startRegistry();
  img = `${reg.host}/fx/cfg`;
  ws = mkdtempSync(join(tmpdir(), 'ameide-gitops-'));
  write('nx.json', JSON.stringify({ plugins: [{ plugin: PLUGIN_NAME, options: { destinations: { oci: { registry: reg.host, namespace: 'fx' } } } }] }));
  write('packages/cfg/package.json', JSON.stringify({ name: '@fx/cfg', version: '0.0.0', nx: { tags: ['ameide:release'] } }));
  await push(A, ['1.0.0', '1.0']);
  await push(B, ['1.1.0', B, 'dev', 'latest']);
  // A correct overlay: a Deployment, Helm values and a Kustomization in prod/staging, :dev in dev.
  write('good/prod/deployment.yaml', `${deployment(`${img}:1.0.0`, A)}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n`);
  write('good/prod/values.yaml', `image:\n  registry: ${reg.host}\n  repository: fx/cfg\n  tag: "1.1.0"\npodAnnotations:\n  ameide.io/image-sha: "${B}"\n`);
  write('good/staging/kustomization.yaml', `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\ncommonAnnotations:\n  ameide.io/image-sha: "${A}"\nimages:\n  - name: cfg\n    newName: ${img}\n    newTag: 1.0.0\n`);
  write('good/dev/deployment.yaml', deployment(`${img}:dev`));
  write('good/dev/sha.yaml', deployment(`${img}:${B}`));
  // A broken one: each line one violation.
  write('bad/prod/floating.yaml', deployment(`${img}:latest`, B));
  write('bad/prod/bare-sha.yaml', deployment(`${img}:${B}`, B));
  write('bad/prod/missing.yaml', deployment(`${img}:1.0.0`));
  write('bad/staging/kustomization.yaml', `kind: Kustomization\nresources: [../base]\ncommonAnnotations:\n  ameide.io/image-sha: "${A}"\nimages:\n  - name: cfg\n    newName: ${img}\n    newTag: 1.1.0\n`);
  write('bad/dev/deployment.yaml', deployment(`${img}:dev`));
});

afterAll(async () => {
  if (saved === undefined) delete process.env.AMEIDE_OCI_INSECURE;
  else process.env.AMEIDE_OCI_INSECURE = saved;
  await reg?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

describe('nx-ameide-release gitops-check against a real registry', () => {
  it('passes on a correct overlay: pinned, annotated with the image revision; dev paths may float', async () => {
    const r = await cli('gitops-check', 'good', '--format', 'json');
    expect(JSON.parse(r.out)).toEqual({ checked: 3, unprotected: 2, violations: [] });
    expect(r.code).toBe(0);
    expect((await cli('gitops-check', 'good')).out).toBe('gitops-check: 3 pinned reference(s) checked in prod/staging paths, 2 elsewhere; 0 violation(s)\n');
  });

  it('names each violation of a broken overlay and exits 1', async () => {
    const r = await cli('gitops-check', 'bad', '--format', 'json');
    expect(r.code).toBe(1);
    const v = JSON.parse(r.out).violations.map((x: any) => [x.file, x.image, x.problem]);
    expect(v).toEqual([
      ['bad/prod/bare-sha.yaml', `${img}:${B}`, `a bare SHA tag (${B}) in a prod/staging path`],
      ['bad/prod/floating.yaml', `${img}:latest`, 'a floating tag (latest) in a prod/staging path'],
      ['bad/prod/missing.yaml', `${img}:1.0.0`, 'no ameide.io/image-sha annotation'],
      ['bad/staging/kustomization.yaml', `${img}:1.1.0`, `ameide.io/image-sha ${A} is not the image's revision ${B}`],
    ]);
    const missing = JSON.parse(r.out).violations[2];
    expect(missing.fix).toContain(`ameide.io/image-sha: "${A}"`);
    const table = await cli('gitops-check', 'bad');
    expect(table.code).toBe(1);
    expect(table.out).toContain('4 violation(s)');
    expect(table.out).toMatch(/bad\/prod\/floating\.yaml:13 +\S+:latest +a floating tag \(latest\)/);
  });

  it('configurable protected paths; bad input refused before any read', async () => {
    const r = await cli('gitops-check', 'bad', '--prod-paths', '**/staging/**', '--format', 'json');
    expect(JSON.parse(r.out).violations.map((x: any) => x.file)).toEqual(['bad/staging/kustomization.yaml']);
    const none = await cli('gitops-check', 'missing-dir');
    expect([none.code, none.err]).toEqual([1, expect.stringContaining('missing-dir is not a directory')]);
    expect((await cli('gitops-check')).err).toContain('needs at least one directory');
  });
});
