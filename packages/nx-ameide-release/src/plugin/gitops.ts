import type { TargetConfiguration } from '@nx/devkit';
import { PLUGIN } from './targets';

/** The plugin option `gitops` in nx.json: where the GitOps manifests live and which of their paths are prod/staging. */
export interface GitopsOptions {
  /** Folders (workspace-relative) holding Kubernetes, Kustomize and Helm-values YAML. */
  dirs: string[];
  /** Globs of the prod/staging paths, matched against the workspace-relative path (default **\/prod/**, **\/staging/**); every other path is a dev path. */
  prodPaths?: string[];
  /** The Nx project that carries the target (default `gitops`). */
  project?: string;
}

export const DEFAULT_GITOPS_PROJECT = 'gitops';

const clean = (d: string) => d.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, '');

/** The deepest folder holding every dir ('' when they share none). */
function commonParent(dirs: string[]): string {
  const parts = dirs.map((d) => d.split('/'));
  const out: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length - 1 && p[i] === parts[0][i]); i++) out.push(parts[0][i]);
  return out.join('/');
}

/**
 * The project carrying `gitops-check` when nx.json configures `gitops.dirs`: rooted at the folder
 * holding the dirs (the first dir when they share none), so `nx show project gitops` shows it and
 * `nx run gitops:gitops-check` runs it. Pure (createNodes runs on every nx command): the registry is
 * asked only when the target runs. Null when nothing is configured or the option is malformed (an
 * error here would break every nx command; the executor refuses bad options with their fix).
 */
export function gitopsProject(opts: Partial<GitopsOptions> | undefined): { root: string; name: string; targets: Record<string, TargetConfiguration> } | null {
  const dirs = Array.isArray(opts?.dirs) ? opts!.dirs.filter((d): d is string => typeof d === 'string' && clean(d) !== '').map(clean) : [];
  if (dirs.length === 0) return null;
  const root = commonParent(dirs) || dirs[0];
  const prodPaths = Array.isArray(opts?.prodPaths) ? opts!.prodPaths : undefined;
  return {
    root,
    name: typeof opts?.project === 'string' && opts.project ? opts.project : DEFAULT_GITOPS_PROJECT,
    targets: {
      'gitops-check': {
        executor: `${PLUGIN}:gitops-check`,
        // The answer depends on the registry (what each pinned tag holds now), not only on files.
        cache: false,
        options: { dirs, ...(prodPaths ? { prodPaths } : {}) },
        metadata: {
          description: `Check the images of the release projects in ${dirs.join(', ')}: in prod/staging paths (${(prodPaths ?? ['**/prod/**', '**/staging/**']).join(', ')}) each pins a SemVer tag and carries ameide.io/image-sha equal to the image's revision in the registry; other paths may use :dev or :<sha>.`,
        },
      },
    },
  };
}
