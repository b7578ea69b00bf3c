import type { Command } from 'commander';
import { action, cwdOption, formatOption, helpAfter, valueOption, workdir } from './options';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const gitops = () => require('../gitops') as typeof import('../gitops');

interface GitopsFlags {
  cwd?: string;
  format: 'table' | 'json';
  prodPaths?: string;
}

/** The GitOps pin check: prod/staging references of our images pinned and annotated with the image's revision. */
export function register(program: Command): void {
  const command = program
    .command('gitops-check')
    .summary("checks that prod/staging manifests pin the workspace's images by release tag and revision")
    .argument('[dir...]', 'folders of Kubernetes, Kustomize and Helm-values YAML')
    .description(
      [
        "Scans Kubernetes, Kustomize and Helm-values YAML under <dir> for the images of the workspace's release projects.",
        "In prod/staging paths (matched against the path under --cwd) each must pin a SemVer tag (never dev, latest, a bare SHA) and carry the ameide.io/image-sha annotation equal to the image's revision in the registry; other paths may use :dev or :<sha>.",
        'Prints a table of violations; exit 1 on any.',
      ].join('\n'),
    )
    .addOption(valueOption('--prod-paths <glob,glob>', 'the prod/staging paths (default **/prod/**,**/staging/**)'))
    .addOption(formatOption('gitops-check', ['table', 'json'], 'table | json'))
    .addOption(cwdOption('the workspace'));
  helpAfter(command, ['Examples:', '  nx-ameide-release gitops-check deploy/overlays', "  nx-ameide-release gitops-check deploy --prod-paths '**/live/**' --format json"].join('\n'));
  action<GitopsFlags>(command, async (flags, dirs) => {
    const cwd = workdir(flags);
    const prod = flags.prodPaths;
    const report = await gitops().gitopsCheck({ workspaceRoot: cwd, cwd, dirs, protectedPaths: prod === undefined ? undefined : prod.split(','), env: process.env });
    process.stdout.write(flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : gitops().gitopsTable(report));
    return report.violations.length ? 1 : 0;
  });
}
