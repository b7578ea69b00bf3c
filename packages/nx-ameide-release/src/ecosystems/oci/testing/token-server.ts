import { createSign, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { runOrThrow } from '../../../exec';

/**
 * A tiny token server for distribution's `auth: token` (the flow GHCR uses): it checks Basic
 * credentials and answers RS256 JWTs whose x5c header carries a self-signed certificate, the same
 * certificate the registry trusts as `rootcertbundle`. The registry side stays the real
 * docker-registry; only the auth server is this test's.
 */

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  rootCertBundle: string;
  /** Every token request: the scopes asked for and whether Basic credentials were valid. */
  requests: { scopes: string[]; authenticated: boolean }[];
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export async function startTokenServer(opts: { dir: string; username: string; password: string }): Promise<TokenServer> {
  const key = join(opts.dir, 'token.key');
  const cert = join(opts.dir, 'token.crt');
  await runOrThrow({
    command: 'openssl',
    args: ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=ameide-test-token-issuer'],
  });
  const privateKey = readFileSync(key, 'utf8');
  const der = readFileSync(cert, 'utf8').replace(/-----[^-]+-----|\s/g, '');
  const service = 'ameide-test-registry';
  const issuer = 'ameide-test-issuer';
  const requests: TokenServer['requests'] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization ?? '';
    const [user, pass] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':') : [];
    const authenticated = user === opts.username && pass === opts.password;
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    requests.push({ scopes, authenticated });
    if (auth && !authenticated) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ details: 'bad credentials' }));
      return;
    }
    // anonymous callers get a token without access: the registry refuses them
    const access = authenticated
      ? scopes.map((s) => {
          const parts = s.split(':');
          return { type: parts[0], name: parts.slice(1, -1).join(':'), actions: parts[parts.length - 1].split(',') };
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [der] };
    const claims = { iss: issuer, sub: user ?? '', aud: url.searchParams.get('service') ?? service, exp: now + 300, nbf: now - 30, iat: now, jti: randomBytes(8).toString('hex'), access };
    const body = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(body).sign(privateKey);
    const token = `${body}.${b64url(sig)}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    // A name, not 127.0.0.1: cosign v3's registry client (go-containerregistry) refuses a token realm
    // whose host is a literal private or loopback address ("invalid realm in www-authenticate"); the
    // name resolves to the same loopback listener (GHCR's realm is a public name, so this is test-only).
    realm: `http://localhost:${port}/token`,
    service,
    issuer,
    rootCertBundle: cert,
    requests,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
