import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

/** GET over a fresh connection: registries close idle keep-alive sockets between the test's steps. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Read-only looks into the sandbox registries, the way a consumer or an auditor would. */
export class Registries {
  constructor(readonly env: Record<string, string>) {}

  private secret(name: string): string {
    return readFileSync(this.env[`${name}_FILE`], 'utf8').trim();
  }

  /** Every secret the sandbox holds: none of them may appear in any output. */
  secrets(): string[] {
    return ['NPM_TOKEN', 'PYPI_PASSWORD', 'COSIGN_PASSWORD'].map((n) => this.secret(n));
  }

  async npmPackument(name: string): Promise<any | null> {
    const url = `${this.env.AMEIDE_NPM_REGISTRY.replace(/\/$/, '')}/${name.replace('/', '%2f')}`;
    const res = await get(url, { authorization: `Bearer ${this.secret('NPM_TOKEN')}` });
    if (res.status === 404) return null;
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
    return JSON.parse(res.body);
  }

  async npmVersions(name: string): Promise<string[]> {
    return Object.keys((await this.npmPackument(name))?.versions ?? {});
  }

  /** File names listed by the PEP 503 simple index for a project. */
  async pypiFiles(project: string): Promise<string[]> {
    const res = await get(`${this.env.AMEIDE_PYPI_INDEX_URL.replace(/\/?$/, '/')}${project}/`);
    if (res.status === 404) return [];
    const html = res.body;
    return [...html.matchAll(/<a [^>]*>([^<]+)<\/a>/g)].map((m) => m[1]);
  }

  /** Tags of the Go mirror, with the Source-SHA trailer of each tag's commit. */
  goTags(): Record<string, string> {
    const mirror = this.env.SANDBOX_GO_MIRROR;
    const out = execFileSync('git', ['--git-dir', mirror, 'tag', '--list'], { encoding: 'utf8' }).trim();
    const tags: Record<string, string> = {};
    for (const tag of out ? out.split('\n') : []) {
      const msg = execFileSync('git', ['--git-dir', mirror, 'log', '-1', '--format=%B', `${tag}^{commit}`], { encoding: 'utf8' });
      tags[tag] = /Source-SHA: ([0-9a-f]{40})/.exec(msg)?.[1] ?? '';
    }
    return tags;
  }

  /** `skopeo inspect` of an image tag in the plain OCI registry; null when the tag does not exist. */
  inspect(image: string, tag: string): { Digest: string; Labels: Record<string, string> } | null {
    const ref = `docker://${this.env.AMEIDE_OCI_REGISTRY}/${this.env.AMEIDE_OCI_NAMESPACE}/${image}:${tag}`;
    const r = spawnSync('skopeo', ['inspect', '--tls-verify=false', ref], { encoding: 'utf8' });
    if (r.status !== 0) {
      if (/manifest unknown|not found|404/i.test(r.stderr)) return null;
      throw new Error(`skopeo inspect ${ref}: ${r.stderr}`);
    }
    return JSON.parse(r.stdout);
  }
}
