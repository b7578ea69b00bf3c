import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from './image';
import { inRegistrySession, nextLink, parseChallenge, RegistryClient, RegistryHttpError } from './registry';
import { startCountingProxy, type CountingProxy } from './testing/counting-proxy';
import { freePort, startRegistry, type RegistryFixture } from './testing/registry-fixture';
import { startTokenServer, type TokenServer } from './testing/token-server';

jest.setTimeout(60_000);

const image = (n: number) =>
  buildImage({ files: [{ path: `ameide/t/f${n}.txt`, content: Buffer.from(`file ${n}\n`) }], annotations: { n: String(n) }, created: '2025-11-13T15:32:11Z' });
const noRetry = { attempts: 1 };

async function pushImage(client: RegistryClient, repo: string, tag: string, n: number) {
  const img = image(n);
  await client.uploadBlob(repo, img.layer.digest, img.layer.bytes);
  await client.uploadBlob(repo, img.config.digest, img.config.bytes);
  return { img, digest: await client.putManifest(repo, tag, img.manifest.bytes, img.manifest.mediaType) };
}

describe('challenge and link parsing', () => {
  it('reads a bearer challenge with quoted commas', () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm="r"')).toEqual({ scheme: 'basic', params: { realm: 'r' } });
    expect(parseChallenge(null)).toBeNull();
  });
  it('reads the next link', () => {
    expect(nextLink('</v2/a/tags/list?last=x&n=2>; rel="next"')).toBe('/v2/a/tags/list?last=x&n=2');
    expect(nextLink(null)).toBeNull();
  });
});

describe('RegistryClient against docker-registry (anonymous, relative Location URLs)', () => {
  let reg: RegistryFixture;
  beforeAll(async () => {
    reg = await startRegistry({ relativeUrls: true });
  });
  afterAll(async () => reg?.stop());

  it('pushes blobs once, puts and reads manifests, lists tags across pages', async () => {
    const client = new RegistryClient({ registry: reg.host, insecure: true, retry: noRetry });
    await client.ping();
    const repo = 'ameideio/client-test';
    expect(await client.getManifest(repo, 'nope')).toBeNull();
    expect(await client.listTags(repo)).toEqual([]);
    const { img, digest } = await pushImage(client, repo, 'a', 1);
    expect(digest).toBe(img.manifest.digest);
    expect(client.stats.blobsUploaded).toBe(2);
    await pushImage(client, repo, 'b', 1);
    await pushImage(client, repo, 'c', 1);
    expect(client.stats).toMatchObject({ blobsUploaded: 2, blobsSkipped: 4, manifestsPut: 3 });
    expect(await client.blobExists(repo, img.layer.digest)).toBe(true);
    expect((await client.getBlob(repo, img.layer.digest)).equals(img.layer.bytes)).toBe(true);
    const got = await client.getManifest(repo, 'b');
    expect(got?.digest).toBe(img.manifest.digest);
    expect(got?.bytes.equals(img.manifest.bytes)).toBe(true);
    expect((await client.listTags(repo, 2)).sort()).toEqual(['a', 'b', 'c']);
  });

  it('fails at once on a 4xx with the registry message (manifest referencing a missing blob)', async () => {
    const client = new RegistryClient({ registry: reg.host, insecure: true });
    const img = image(2);
    const err = await client.putManifest('ameideio/client-test', 'broken', img.manifest.bytes, img.manifest.mediaType).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryHttpError);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/MANIFEST_BLOB_UNKNOWN|blob unknown/i);
  });

  it('retries connection refused and then reports it', async () => {
    const retries: number[] = [];
    const client = new RegistryClient({
      registry: `127.0.0.1:${await freePort()}`, // nothing listens there
      insecure: true,
      retry: { attempts: 3, initialDelayMs: 1, onRetry: (_e, a) => retries.push(a) },
    });
    await expect(client.ping()).rejects.toThrow(/ECONNREFUSED/);
    expect(retries).toEqual([1, 2]);
  });
});

describe('RegistryClient with htpasswd (basic auth)', () => {
  let reg: RegistryFixture;
  beforeAll(async () => {
    reg = await startRegistry({ auth: { kind: 'htpasswd', username: 'ci', password: 's3cret-pass' } });
  });
  afterAll(async () => reg?.stop());

  it('pushes with the right credentials', async () => {
    const client = new RegistryClient({ registry: reg.host, insecure: true, username: 'ci', password: 's3cret-pass', retry: noRetry });
    await client.ping();
    await pushImage(client, 'ameideio/basic', 'x', 3);
    expect(await client.listTags('ameideio/basic')).toEqual(['x']);
  });

  it('is refused with 401 and no retry, anonymous or with a wrong password', async () => {
    for (const creds of [{}, { username: 'ci', password: 'wrong' }]) {
      const client = new RegistryClient({ registry: reg.host, insecure: true, ...creds });
      const err = await client.ping().catch((e) => e);
      expect(err).toBeInstanceOf(RegistryHttpError);
      expect(err.status).toBe(401);
      expect(err.message).not.toContain('wrong');
    }
  });
});

describe('RegistryClient with the bearer token flow (docker-registry auth: token + test token server)', () => {
  let reg: RegistryFixture;
  let tokens: TokenServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oci-token-'));
    tokens = await startTokenServer({ dir, username: 'gh-actor', password: 'ghp_testtoken123' });
    reg = await startRegistry({ auth: { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle } });
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the challenge with a token per scope, cached, and pushes', async () => {
    const client = new RegistryClient({ registry: reg.host, insecure: true, username: 'gh-actor', password: 'ghp_testtoken123', retry: noRetry });
    await client.ping();
    await pushImage(client, 'ameideio/bearer', 'x', 4);
    await pushImage(client, 'ameideio/bearer', 'y', 4);
    expect((await client.listTags('ameideio/bearer')).sort()).toEqual(['x', 'y']);
    expect(tokens.requests.every((r) => r.authenticated)).toBe(true);
    // distribution lists the challenge's actions from a Go map: 'pull,push' or 'push,pull'
    expect(tokens.requests.some((r) => r.scopes.some((s) => /^repository:ameideio\/bearer:(pull,push|push,pull)$/.test(s)))).toBe(true);
    // one token for /v2/, one for pull, one for push: cached afterwards
    expect(client.stats.tokenRequests).toBeLessThanOrEqual(3);
  });

  it('cannot push anonymously: the token carries no access and the registry says 401', async () => {
    const client = new RegistryClient({ registry: reg.host, insecure: true, retry: noRetry });
    const err = await pushImage(client, 'ameideio/bearer', 'z', 5).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryHttpError);
    expect(err.status).toBe(401);
  });
});

describe('inRegistrySession: one task asks the registry each thing once', () => {
  let reg: RegistryFixture;
  let proxy: CountingProxy;
  beforeAll(async () => {
    reg = await startRegistry();
    proxy = await startCountingProxy(reg.host);
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });
  const repo = 'ameideio/session-test';
  const count = (method: string, re: RegExp) => proxy.requests.filter((q) => q.method === method && re.test(q.path)).length;

  it('clients made in one session share the ping, tag lists, manifests and blobs; fresh reads and writes go to the registry', async () => {
    const writer = new RegistryClient({ registry: proxy.host, insecure: true, retry: noRetry });
    const { img } = await pushImage(writer, repo, 'a', 7);
    proxy.reset();
    await inRegistrySession(async () => {
      // the preflight's client (short timeout) and the publish's client of one ghcr task
      const check = new RegistryClient({ registry: proxy.host, insecure: true, timeoutMs: 5000, retry: noRetry });
      const publish = new RegistryClient({ registry: proxy.host, insecure: true });
      await check.checkPush(repo);
      expect((await check.getManifest(repo, 'a'))?.digest).toBe(img.manifest.digest);
      expect(await check.getManifest(repo, 'b')).toBeNull();
      expect(await check.listTags(repo)).toEqual(['a']);
      expect((await check.getBlob(repo, img.config.digest)).equals(img.config.bytes)).toBe(true);
      await publish.ping();
      expect((await publish.getManifest(repo, 'a'))?.digest).toBe(img.manifest.digest);
      expect(await publish.getManifest(repo, 'b')).toBeNull();
      expect(await publish.listTags(repo)).toEqual(['a']);
      expect((await publish.getBlob(repo, img.config.digest)).equals(img.config.bytes)).toBe(true);
      expect([count('GET', /^\/v2\/$/), count('GET', /manifests\/a$/), count('GET', /manifests\/b$/), count('GET', /tags\/list/), count('GET', /blobs\//)]).toEqual([1, 1, 1, 1, 1]);
      // someone else writes b: a fresh read sees it (the race check before a PUT)
      await writer.putManifest(repo, 'b', img.manifest.bytes, img.manifest.mediaType);
      expect(await publish.getManifest(repo, 'b')).toBeNull(); // the session's answer
      expect((await publish.getManifest(repo, 'b', { fresh: true }))?.digest).toBe(img.manifest.digest);
      expect(count('GET', /manifests\/b$/)).toBe(2);
      // what the task writes itself is known without asking
      await publish.putManifest(repo, 'c', img.manifest.bytes, img.manifest.mediaType);
      expect((await check.getManifest(repo, 'c'))?.digest).toBe(img.manifest.digest);
      expect((await check.listTags(repo)).sort()).toEqual(['a', 'c']);
      expect([count('GET', /manifests\/c$/), count('GET', /tags\/list/)]).toEqual([0, 1]);
    });
    // outside a session every read goes to the registry
    proxy.reset();
    const plain = new RegistryClient({ registry: proxy.host, insecure: true });
    await plain.getManifest(repo, 'a');
    await plain.getManifest(repo, 'a');
    await plain.ping();
    await plain.ping();
    expect([count('GET', /manifests\/a$/), count('GET', /^\/v2\/$/)]).toEqual([2, 2]);
  });
});
