/**
 * `nx show project --json` shows the resolved destinations, through the real Nx CLI on this
 * repository: nx.json's `destinations`, the Go SDK's own mirror in its project.json, and nothing
 * from the environment (the graph is cached; AMEIDE_* apply at run time).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './workspace';

function show(project: string, env: Record<string, string> = {}): any {
  const out = execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'nx'), ['show', 'project', project, '--json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...env },
  });
  return JSON.parse(out);
}

describe('nx show project: resolved destinations in the target metadata', () => {
  it('the npm SDK shows its registry, scope and access from nx.json, and its image namespace', () => {
    const p = show('ameide_sdk_ts');
    expect(p.targets.publish.metadata).toMatchObject({
      destinations: { npm: { registry: 'https://registry.npmjs.org/', access: 'public', scope: '@ameideio' } },
      destinationsFrom: { 'npm.scope': 'nx.json' },
    });
    expect(p.targets.publish.metadata.destinationsRefused).toBeUndefined();
    expect(p.targets.ghcr.metadata.destinations).toEqual({ oci: { registry: 'ghcr.io', namespace: 'ameideio' } });
    expect(p.targets.publish.options.destinations).toEqual({ npm: { registry: 'https://registry.npmjs.org/', access: 'public', scope: '@ameideio' } });
  });

  it('the Go SDK shows the mirror from its own project.json, the branch from nx.json', () => {
    const p = show('ameide_sdk_go');
    expect(p.targets.publish.metadata).toMatchObject({
      destinations: { go: { remote: 'https://github.com/ameideio/ameide-sdk-go', branch: 'main' } },
      destinationsFrom: { 'go.remote': 'project', 'go.branch': 'nx.json' },
    });
  });

  it('an AMEIDE_* variable in the shell does not change the graph', () => {
    const p = show('ameide_sdk_python', { AMEIDE_PYPI_INDEX_URL: 'http://127.0.0.1:9/simple/', AMEIDE_OCI_NAMESPACE: 'elsewhere' });
    expect(p.targets.publish.metadata.destinations).toEqual({ pypi: { uploadUrl: 'https://upload.pypi.org/legacy/', indexUrl: 'https://pypi.org/simple/' } });
    expect(p.targets.ghcr.metadata.destinations).toEqual({ oci: { registry: 'ghcr.io', namespace: 'ameideio' } });
  });
});
