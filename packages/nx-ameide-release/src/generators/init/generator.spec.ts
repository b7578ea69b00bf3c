import { readNxJson, updateNxJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from 'nx/src/generators/testing-utils/create-tree-with-empty-workspace';
import initGenerator, { WORKFLOW_PATH } from './generator';

describe('init generator', () => {
  it('registers the plugin once and writes the CD workflow', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree);
    await initGenerator(tree);
    const plugins = readNxJson(tree)!.plugins!.filter((p) => (typeof p === 'string' ? p : p.plugin) === '@ameideio/nx-ameide-release');
    expect(plugins).toHaveLength(1);
    expect(tree.read(WORKFLOW_PATH, 'utf8')).toContain('nx-ameide-release context --format github-output');
  });

  it('keeps an existing workflow unless asked to overwrite it, and keeps other plugins', async () => {
    const tree = createTreeWithEmptyWorkspace();
    updateNxJson(tree, { ...readNxJson(tree), plugins: ['@nx/js/typescript'] });
    tree.write(WORKFLOW_PATH, 'name: mine\n');
    await initGenerator(tree);
    expect(tree.read(WORKFLOW_PATH, 'utf8')).toBe('name: mine\n');
    expect(readNxJson(tree)!.plugins).toContain('@nx/js/typescript');
    await initGenerator(tree, { overwriteWorkflow: true });
    expect(tree.read(WORKFLOW_PATH, 'utf8')).toContain('cd-packages');
  });
});
