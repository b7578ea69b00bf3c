import { writeJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import initGenerator, { WORKFLOW_PATH, type WorkflowPackageManager } from '../generator';

export interface WorkflowVariant {
  name: string; // a file name: what makes this variant differ
  text: string;
}

/**
 * Every shape of workflow `init` can write: each package manager, pnpm with and without a
 * packageManager field (the setup action then needs a version), with and without pip
 * requirements. Rendered in memory; tools/lint-workflows.js runs actionlint over them.
 */
export async function renderWorkflowVariants(): Promise<WorkflowVariant[]> {
  const cases: { name: string; pm: WorkflowPackageManager; packageManagerField?: string; requirements: boolean }[] = [
    { name: 'npm', pm: 'npm', requirements: false },
    { name: 'npm-requirements', pm: 'npm', requirements: true },
    { name: 'pnpm-field', pm: 'pnpm', packageManagerField: 'pnpm@10.34.9', requirements: true },
    { name: 'pnpm-no-field', pm: 'pnpm', requirements: false },
    { name: 'yarn', pm: 'yarn', packageManagerField: 'yarn@4.9.2', requirements: false },
  ];
  const out: WorkflowVariant[] = [];
  for (const c of cases) {
    const tree = createTreeWithEmptyWorkspace();
    writeJson(tree, 'package.json', { name: 'ws', private: true, ...(c.packageManagerField ? { packageManager: c.packageManagerField } : {}) });
    if (c.requirements) tree.write('requirements-dev.txt', 'pytest\n');
    await initGenerator(tree, { packageManager: c.pm });
    out.push({ name: `cd-packages.${c.name}.yml`, text: tree.read(WORKFLOW_PATH, 'utf8')! });
  }
  return out;
}
