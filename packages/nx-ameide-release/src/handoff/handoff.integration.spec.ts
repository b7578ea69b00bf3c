import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOLD_ANNOTATION } from './lease';
import { PKG, runCli, spawnCli, startKube, waitForOutput, type KubeFixture, type Run } from './testing/kube';

/**
 * The handoff against a real kube-apiserver (v1.34, etcd) with Argo CD's Application CRD, started
 * for this file by the sandbox's code and stopped after it. The CLI runs as users run it.
 */
jest.setTimeout(240_000);

let k: KubeFixture;
let tmp: string;
const APPS = `/apis/argoproj.io/v1alpha1/namespaces/argocd/applications`;

beforeAll(async () => {
  k = await startKube();
  tmp = mkdtempSync(join(tmpdir(), 'ameide-handoff-'));
  // An empty workspace: the prod/staging policy is the gitops-check default unless a test passes its own.
  writeFileSync(join(tmp, 'nx.json'), '{}\n');
}, 300_000);

afterAll(async () => {
  await k?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const argocd = (args: string[], env: Record<string, string> = {}) => runCli(['argocd', ...args, '--cwd', tmp], { KUBECONFIG: k.kubeconfig, ...env });

async function createApp(name: string, spec: Record<string, unknown>, labels?: Record<string, string>) {
  const r = await k.api('POST', APPS, {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd', ...(labels ? { labels } : {}) },
    spec: {
      project: 'default',
      source: { repoURL: 'https://github.com/ameideio/ameide-gitops.git', path: `deploy/dev/${name}`, targetRevision: 'HEAD' },
      destination: { server: 'https://kubernetes.default.svc', namespace: `${name}-dev` },
      ...spec,
    },
  });
  expect(r.status).toBe(201);
}

/** The object as the server sends it, and spec.syncPolicy as the exact JSON text of those bytes (server key order). */
async function read(name: string) {
  const r = await k.api('GET', `${APPS}/${name}`);
  expect(r.status).toBe(200);
  return { obj: r.json, syncPolicy: JSON.stringify(r.json.spec.syncPolicy ?? null), annotation: r.json.metadata.annotations?.[HOLD_ANNOTATION] as string | undefined };
}

const noSecrets = (r: Run) => {
  for (const t of k.tokens) expect(r.out + r.err).not.toContain(t);
};

describe('round trip: pause then resume leaves spec.syncPolicy byte-for-byte', () => {
  const shapes: [string, Record<string, unknown>][] = [
    ['prune-selfheal', { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'], retry: { limit: 2 } }],
    ['allow-empty', { automated: { allowEmpty: true, prune: false } }],
  ];
  it.each(shapes)('%s', async (name, syncPolicy) => {
    await createApp(name, { syncPolicy });
    const before = await read(name);
    expect(before.obj.spec.syncPolicy.automated).toEqual(syncPolicy.automated);

    const p = await argocd(['pause', name, '--owner', 'alice@laptop']);
    expect(p.err).toBe('');
    expect(p.code).toBe(0);
    expect(p.out).toContain(`paused automated sync of argocd/${name} (recorded ${JSON.stringify(before.obj.spec.syncPolicy.automated)})`);
    const paused = await read(name);
    expect(paused.obj.spec.syncPolicy.automated).toBeUndefined();
    expect(JSON.parse(paused.annotation!)).toMatchObject({ holder: 'alice@laptop', automated: before.obj.spec.syncPolicy.automated });
    // The other fields of syncPolicy are not touched.
    expect({ ...paused.obj.spec.syncPolicy }).toEqual(Object.fromEntries(Object.entries(before.obj.spec.syncPolicy).filter(([key]) => key !== 'automated')));

    // Idempotent: a second pause by the same owner renews, it does not record the (now empty) policy.
    const again = await argocd(['pause', name, '--owner', 'alice@laptop']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('already paused by alice@laptop; lease renewed');
    expect(JSON.parse((await read(name)).annotation!).automated).toEqual(before.obj.spec.syncPolicy.automated);

    const r = await argocd(['resume', name, '--owner', 'alice@laptop']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`restored automated sync of argocd/${name}`);
    const after = await read(name);
    expect(after.syncPolicy).toBe(before.syncPolicy);
    expect(after.obj.metadata.annotations?.[HOLD_ANNOTATION]).toBeUndefined();
    expect(after.obj.metadata.resourceVersion).not.toBe(before.obj.metadata.resourceVersion);

    const twice = await argocd(['resume', name, '--owner', 'alice@laptop']);
    expect(twice.code).toBe(0);
    expect(twice.out).toContain('is not paused by the handoff: nothing to resume');
    expect((await read(name)).obj.metadata.resourceVersion).toBe(after.obj.metadata.resourceVersion);
  });

  it('no automated policy: pause and resume are no-ops that say so', async () => {
    await createApp('manual', { syncPolicy: { syncOptions: ['ServerSideApply=true'] } });
    const before = await read('manual');
    const p = await argocd(['pause', 'manual']);
    expect(p.code).toBe(0);
    expect(p.out).toContain('argocd/manual has no automated sync policy: nothing to pause');
    const r = await argocd(['resume', 'manual']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('argocd/manual is not paused by the handoff: nothing to resume');
    const after = await read('manual');
    expect(after.syncPolicy).toBe(before.syncPolicy);
    expect(after.obj.metadata.resourceVersion).toBe(before.obj.metadata.resourceVersion);
  });
});

describe('holders', () => {
  it('a race of two pauses: both read first, exactly one holder, the other refused naming it', async () => {
    await createApp('race', { syncPolicy: { automated: { prune: true, selfHeal: true } } });
    const before = await read('race');
    const out = execFileSync(process.execPath, [join(__dirname, 'testing', 'race.js'), k.kubeconfig, 'argocd', 'race', 'alice@a', 'bob@b'], { encoding: 'utf8', cwd: PKG });
    const { outcomes, conflicts } = JSON.parse(out) as { outcomes: { owner: string; ok: boolean; state?: string; error?: string }[]; conflicts: number };
    // Both wrote against the same resourceVersion: the server refused one write.
    expect(conflicts).toBe(1);
    const won = outcomes.filter((o) => o.ok);
    const lost = outcomes.filter((o) => !o.ok);
    expect(won).toHaveLength(1);
    expect(won[0].state).toBe('paused');
    expect(lost).toHaveLength(1);
    expect(lost[0].error).toContain(`refused: argocd/race is paused by ${won[0].owner}`);
    const after = await read('race');
    expect(JSON.parse(after.annotation!)).toMatchObject({ holder: won[0].owner, automated: before.obj.spec.syncPolicy.automated });
    expect(Object.keys(after.obj.metadata.annotations)).toEqual([HOLD_ANNOTATION]);

    // The same through two CLI processes at once: one holder, whichever wins.
    await argocd(['resume', 'race', '--owner', won[0].owner]);
    const [a, b] = await Promise.all([argocd(['pause', 'race', '--owner', 'carol@c']), argocd(['pause', 'race', '--owner', 'dave@d'])]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    const holder = JSON.parse((await read('race')).annotation!).holder;
    expect((a.code === 0 ? b : a).err).toContain(`is paused by ${holder}`);

    // Resume by someone else is refused naming the holder; --force says what it overrides.
    const other = holder === 'carol@c' ? 'dave@d' : 'carol@c';
    const refused = await argocd(['resume', 'race', '--owner', other]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`refused: argocd/race is paused by ${holder}`);
    expect(refused.err).toContain('--force');
    const forced = await argocd(['resume', 'race', '--owner', other, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.out).toContain(`(--force: ended the hold of ${holder}`);
    expect((await read('race')).syncPolicy).toBe(before.syncPolicy);
  });

  it('hold: SIGTERM resumes at once; SIGKILL leaves a lease that resume --expired restores after it ends', async () => {
    await createApp('tilt', { syncPolicy: { automated: { prune: true, selfHeal: true, allowEmpty: false } } });
    const before = await read('tilt');

    const h1 = spawnCli(['argocd', 'hold', 'tilt', '--owner', 'erin@tilt', '--cwd', tmp], { KUBECONFIG: k.kubeconfig });
    await waitForOutput(h1, 'holding argocd/tilt');
    expect((await read('tilt')).obj.spec.syncPolicy.automated).toBeUndefined();
    h1.kill('SIGTERM');
    const r1 = await h1.result;
    expect(r1.code).toBe(0);
    expect(r1.out).toContain('SIGTERM: resuming argocd/tilt');
    expect((await read('tilt')).syncPolicy).toBe(before.syncPolicy);

    const h2 = spawnCli(['argocd', 'hold', 'tilt', '--owner', 'erin@tilt', '--ttl', '3s', '--cwd', tmp], { KUBECONFIG: k.kubeconfig });
    await waitForOutput(h2, 'holding argocd/tilt');
    h2.kill('SIGKILL');
    expect((await h2.result).signal).toBe('SIGKILL');
    const lease = JSON.parse((await read('tilt')).annotation!);
    expect(lease.holder).toBe('erin@tilt');

    const early = await argocd(['resume', '--expired']);
    const status = await argocd(['status']);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/tilt\s+erin@tilt\s+/);
    if (Date.parse(lease.expires) > Date.now() + 500) expect(early.out).toContain('no expired hold in namespace argocd');

    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(lease.expires) - Date.now()) + 200));
    const late = await argocd(['resume', '--expired']);
    expect(late.code).toBe(0);
    expect(late.out).toContain(`restored automated sync of argocd/tilt: ${JSON.stringify(before.obj.spec.syncPolicy.automated)} (held by erin@tilt since ${lease.since}; lease ended ${lease.expires})`);
    expect((await read('tilt')).syncPolicy).toBe(before.syncPolicy);
    expect((await argocd(['status'])).out).toContain('no paused Application in namespace argocd');
  });
});

describe('refusals and errors', () => {
  it('a prod Application is refused naming the rule, and is not touched', async () => {
    await createApp('shop-prod', { source: { repoURL: 'https://github.com/ameideio/ameide-gitops.git', path: 'deploy/prod/shop' }, syncPolicy: { automated: { prune: true } } });
    const before = await read('shop-prod');
    const r = await argocd(['pause', 'shop-prod']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('argocd/shop-prod is protected: its source path deploy/prod/shop matches the prod/staging path **/prod/** (the default prod/staging paths)');
    expect((await read('shop-prod')).obj.metadata.resourceVersion).toBe(before.obj.metadata.resourceVersion);

    // The gitops-check option in nx.json, and a label selector evaluated by the API server.
    const ws = mkdtempSync(join(tmpdir(), 'ameide-handoff-ws-'));
    writeFileSync(join(ws, 'nx.json'), JSON.stringify({ plugins: [{ plugin: '@ameideio/nx-ameide-release', options: { gitops: { dirs: ['deploy'], prodPaths: ['deploy/live/**'] }, argocd: { protectedSelector: 'tier in (staging,prod)' } } }] }));
    await createApp('live', { source: { repoURL: 'https://github.com/ameideio/ameide-gitops.git', path: 'deploy/live/x' }, syncPolicy: { automated: { prune: true } } });
    await createApp('labelled', { syncPolicy: { automated: { prune: true } } }, { tier: 'staging' });
    const live = await runCli(['argocd', 'pause', 'live', '--cwd', ws], { KUBECONFIG: k.kubeconfig });
    expect(live.err).toContain('matches the prod/staging path deploy/live/** (nx.json gitops.prodPaths)');
    const labelled = await runCli(['argocd', 'pause', 'labelled', '--cwd', ws], { KUBECONFIG: k.kubeconfig });
    expect(labelled.err).toContain('its labels match the protected selector tier in (staging,prod) (nx.json argocd.protectedSelector)');
    const devOk = await runCli(['argocd', 'pause', 'shop-prod', '--cwd', ws, '--owner', 'x@y'], { KUBECONFIG: k.kubeconfig });
    expect(devOk.code).toBe(0); // deploy/prod/** is not in this workspace's policy
    await runCli(['argocd', 'resume', 'shop-prod', '--cwd', ws, '--owner', 'x@y'], { KUBECONFIG: k.kubeconfig });
    rmSync(ws, { recursive: true, force: true });
  });

  it('a token whose role lacks patch gets the RBAC message naming verb and resource, never the token', async () => {
    await createApp('rbac', { syncPolicy: { automated: { prune: true } } });
    const r = await argocd(['pause', 'rbac'], { KUBECONFIG: k.viewerKubeconfig });
    expect(r.code).toBe(1);
    expect(r.err).toContain("RBAC: the kubeconfig's user may not patch applications.argoproj.io in namespace argocd");
    expect(r.err).toContain('missing here: patch');
    noSecrets(r);
    expect((await read('rbac')).obj.spec.syncPolicy.automated).toEqual({ prune: true });
    // Reading is allowed to that role: status works.
    expect((await argocd(['status'], { KUBECONFIG: k.viewerKubeconfig })).code).toBe(0);
  });

  it('an unknown app, an unreachable server and a silent one fail in bounded time', async () => {
    const missing = await argocd(['pause', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('Application argocd/nope not found');

    const kubeconfigTo = (server: string) => {
      const f = join(tmp, `kc-${Buffer.from(server).toString('hex').slice(-8)}.json`);
      writeFileSync(f, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }], users: [{ name: 'u', user: { token: 'not-a-real-token-1234' } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }));
      return f;
    };
    // A port nothing listens on.
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const refused = await argocd(['pause', 'x', '--kubeconfig', kubeconfigTo(`https://127.0.0.1:${closed}`)]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`https://127.0.0.1:${closed}: cannot reach the Kubernetes API (ECONNREFUSED)`);
    expect(refused.err).not.toContain('not-a-real-token-1234');

    // A server that accepts the connection and never answers.
    const sockets: Socket[] = [];
    const silent: Server = await new Promise((resolve) => {
      const s = createServer((c) => sockets.push(c)).listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (silent.address() as { port: number }).port;
    const hung = await argocd(['pause', 'x', '--request-timeout', '2s', '--kubeconfig', kubeconfigTo(`https://127.0.0.1:${port}`)]);
    for (const c of sockets) c.destroy();
    silent.close();
    expect(hung.code).toBe(1);
    expect(hung.err).toContain(`https://127.0.0.1:${port}: no answer from the Kubernetes API within 2s (get applications.argoproj.io argocd/x)`);
    expect(hung.ms).toBeLessThan(20_000);
  });

  // Last: it removes the CRD (and with it every Application).
  it('no Application CRD on the cluster: a clear error, in bounded time', async () => {
    const del = await k.api('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/applications.argoproj.io');
    expect([200, 202]).toContain(del.status);
    for (let i = 0; i < 100 && (await k.api('GET', APPS)).status !== 404; i++) await new Promise((r) => setTimeout(r, 200));
    const r = await argocd(['pause', 'anything']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the Argo CD Application CRD (applications.argoproj.io/v1alpha1) is not installed on this cluster');
    expect(r.ms).toBeLessThan(20_000);
    const s = await argocd(['status']);
    expect(s.code).toBe(1);
    expect(s.err).toContain('is not installed on this cluster');
  });
});
