import { detectPackageManager, getPackageManagerCommand, logger, type Tree } from '@nx/devkit';

/**
 * The inner loop's handoff for a workspace that runs Tilt (a Tiltfile at its root): a Tiltfile
 * snippet defining `argocd_handoff(app)` (a local_resource whose serve command is
 * `nx-ameide-release argocd hold <app>`) and a short docs/inner-loop.md. Each is written only when
 * absent; a workspace without a Tiltfile gets neither (docs/inner-loop.md in this repository says
 * how to add them by hand).
 */
export const TILT_SNIPPET_PATH = 'tilt/argocd-handoff.Tiltfile';
export const INNER_LOOP_DOC_PATH = 'docs/inner-loop.md';

export function tiltSnippet(exec: string): string {
  const argv = [...exec.split(' ').filter(Boolean), 'nx-ameide-release', 'argocd', 'hold'].map((a) => `'${a}'`).join(', ');
  return `# Written by nx-ameide-release init; see docs/inner-loop.md.
# While \`tilt up\` runs, Argo CD's automated sync of the Application is off, so it does not revert
# the image Tilt deploys; \`tilt down\` or Ctrl-C restores the policy exactly as it was. In the Tiltfile:
#
#   load('./tilt/argocd-handoff.Tiltfile', 'argocd_handoff')
#   argocd_handoff('my-service-dev')
#   k8s_resource('my-service', resource_deps=['argocd-hold-my-service-dev'])  # deploy after the pause
#
# KUBECONFIG (or ~/.kube/config) must reach the cluster Argo CD runs in. A Tilt killed with SIGKILL
# leaves a lease that ends after \`ttl\`; \`nx-ameide-release argocd resume --expired\` restores it.

def argocd_handoff(app, namespace = 'argocd', ttl = '2m'):
    local_resource(
        'argocd-hold-' + app,
        serve_cmd = [${argv}, app, '--namespace', namespace, '--ttl', ttl],
        labels = ['gitops'],
    )
`;
}

export function innerLoopDoc(exec: string): string {
  const cli = `${exec} nx-ameide-release`;
  return `# Inner loop: Tilt and Argo CD

Argo CD (GitOps, automated sync with self-heal) and Tilt (your workspace image) both manage the
dev Deployment. While Tilt runs, the Application's automated sync is paused; when it stops, the
policy comes back exactly as it was, so Git stays the source of truth.

1. \`tilt up\` starts \`${cli} argocd hold <app>\` (tilt/argocd-handoff.Tiltfile).
2. It records \`spec.syncPolicy.automated\` and the holder (owner, since, lease expiry) in the
   annotation \`ameide.io/argocd-handoff\`, then removes automated sync, in one write. A teammate
   holding the app already: refused, naming them.
3. While it runs it renews the lease. \`tilt down\` or Ctrl-C: the recorded policy is restored and
   the annotation removed.
4. Crash (SIGKILL, a laptop closed): the lease ends after \`--ttl\` (2m); \`${cli} argocd resume
   --expired\` (by hand, or in CI on a schedule) restores every ended lease and prints each.

Who holds what: \`${cli} argocd status\` (every paused app: holder, since, expiry).
By hand: \`argocd pause <app>\` / \`argocd resume <app>\` (\`--force\` ends someone else's hold).
Prod/staging Applications (nx.json \`gitops.prodPaths\`, \`argocd.protectedSelector\`) are refused.
`;
}

/** Writes the snippet and the doc when the workspace has a Tiltfile; returns what it wrote. */
export function writeTiltHandoff(tree: Tree): string[] {
  if (!tree.exists('Tiltfile')) return [];
  const exec = getPackageManagerCommand(detectPackageManager(tree.root)).exec;
  const wrote: string[] = [];
  for (const [path, text] of [
    [TILT_SNIPPET_PATH, tiltSnippet(exec)],
    [INNER_LOOP_DOC_PATH, innerLoopDoc(exec)],
  ]) {
    if (tree.exists(path)) continue;
    tree.write(path, text);
    wrote.push(path);
  }
  if (wrote.length) logger.info(`nx-ameide-release: wrote ${wrote.join(', ')}; load the snippet in your Tiltfile (see ${TILT_SNIPPET_PATH})`);
  return wrote;
}
