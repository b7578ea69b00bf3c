import { appendFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ReleaseError } from '../errors';
import { action, cwdOption, formatOption, helpAfter, valueOption, workdir } from './options';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const affected = () => require('../affected') as typeof import('../affected');

interface AffectedFlags {
  cwd?: string;
  ref?: string;
  base?: string;
  format: 'table' | 'json' | 'github';
}

/** The projects to publish: every one on a release, else those changed since the dev channel's last publish. */
export function register(program: Command): void {
  const command = program
    .command('affected')
    .summary('the release projects this run publishes, from what the dev channel last published')
    .description(
      [
        'The release projects this run publishes: on a release every one; otherwise those that changed since what the dev channel last published, asked of the registries (npm dist-tag dev -> gitHead, newest PyPI .devN -> its SHA, image :dev -> revision label).',
        "That SHA is each project's base when it is an ancestor of HEAD; a project is chosen when Nx finds it affected since its base (its files or a dependency's). No base (nothing published, a registry unreadable, not an ancestor): the project is chosen and the reason printed.",
        'Docs: docs/affected.md',
      ].join('\n'),
    )
    .addOption(valueOption('--base <commit>', 'count every project from that commit instead (an ancestor of HEAD); the registries are not asked'))
    .addOption(
      formatOption('affected', ['table', 'json', 'github'], [
        'table | json | github',
        'github: also appends projects=<comma list> to $GITHUB_OUTPUT and a table to $GITHUB_STEP_SUMMARY. The list may be empty: then publish nothing.',
      ].join('\n')),
    )
    .addOption(valueOption('--ref <ref>', 'ref deciding the channel; wins over GITHUB_REF and local git'))
    .addOption(cwdOption('the workspace'));
  helpAfter(command, ['Examples:', '  nx-ameide-release affected', '  nx-ameide-release affected --format github    # in a GitHub Actions step', '  nx-ameide-release affected --base v1.2.0 --format json'].join('\n'));
  action<AffectedFlags>(command, async (flags) => {
    const cwd = workdir(flags);
    const { format } = flags;
    if (format === 'github' && !process.env.GITHUB_OUTPUT) throw new ReleaseError('GITHUB_OUTPUT is not set', 'run this step inside GitHub Actions, or use --format table|json');
    const plan = await affected().affectedProjects(cwd, process.env, flags.ref, flags.base);
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(affected().affectedTable(plan));
    if (format === 'github') {
      appendFileSync(process.env.GITHUB_OUTPUT!, `projects=${plan.projects.join(',')}\n`);
      if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, affected().affectedMarkdown(plan));
    }
    return 0;
  });
}
