import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { action, cwdOption, helpAfter, valueOption, workdir } from './options';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const notes = () => require('../evidence/notes') as typeof import('../evidence/notes');

interface NotesFlags {
  cwd?: string;
  ref?: string;
  output: string;
}

export function register(program: Command): void {
  const command = program
    .command('notes')
    .summary('release notes: the commits since the previous release tag, by type and project')
    .description(
      'Release notes: the commits since the previous release tag reachable from the release tag (default: the release tag at HEAD, else HEAD), grouped by Conventional Commit type, and per release project the commits that touched it.',
    )
    .addOption(cwdOption())
    .addOption(valueOption('--ref <tag|commit>', 'the release to write the notes of (default: the release tag at HEAD, else HEAD)'))
    .addOption(valueOption('--output <file>', 'where to write them, under --cwd; - prints them instead').default('dist/release/notes.md'));
  helpAfter(command, ['Examples:', '  nx-ameide-release notes --ref v1.2.0', '  nx-ameide-release notes --output -'].join('\n'));
  action<NotesFlags>(command, async (flags) => {
    const cwd = workdir(flags);
    const { markdown, input } = await notes().releaseNotes(cwd, flags.ref);
    if (flags.output === '-') {
      process.stdout.write(markdown);
      return 0;
    }
    const file = resolve(cwd, flags.output);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, markdown);
    const what = input.tag ?? input.sha.slice(0, 7);
    process.stdout.write(`notes of ${what}: ${input.commits.length} commit(s) since ${input.previousTag ?? 'the start'} -> ${relative(process.cwd(), file) || file}\n`);
    return 0;
  });
}
