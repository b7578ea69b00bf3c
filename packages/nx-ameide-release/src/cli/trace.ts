import type { Command } from 'commander';
import { action, cwdOption, formatOption, helpAfter, usageError, workdir } from './options';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const trace = () => require('../trace') as typeof import('../trace');

const FORMS = '<sha> | npm:@scope/pkg@1.2.3 | pypi:name==1.2.3 | oci:image:tag | go:module@v1.2.3';

interface TraceFlags {
  cwd?: string;
  format: 'table' | 'json';
}

/** Every artifact on the configured registries built from a SHA, or the SHA (and siblings) of one artifact. */
export function register(program: Command): void {
  const command = program
    .command('trace')
    .summary('the artifacts built from a SHA, or the SHA of an artifact, asked of the registries')
    .argument('[sha|artifact]', FORMS)
    .description(
      [
        "Asks every configured registry (each release project's package and image, at the destinations its targets use, AMEIDE_* on top) and prints every artifact built from the SHA (short or full); given an artifact, prints its SHA and the artifacts of that SHA.",
        'Exit 0 found, 1 not found (unknown SHA or artifact), 2 found but a registry could not be read (the list may be incomplete).',
      ].join('\n'),
    )
    .addOption(formatOption('trace', ['table', 'json'], 'table | json'))
    .addOption(cwdOption('the workspace'));
  helpAfter(
    command,
    ['Examples:', '  nx-ameide-release trace 1a2b3c4', '  nx-ameide-release trace npm:@scope/pkg@1.2.3', '  nx-ameide-release trace pypi:name==1.2.3 --format json', '  nx-ameide-release trace oci:image:tag', '  nx-ameide-release trace go:module@v1.2.3'].join('\n'),
  );
  action<TraceFlags>(command, async (flags, [what]) => {
    if (!what) throw usageError(`trace needs a SHA or an artifact: nx-ameide-release trace ${FORMS}`);
    const cwd = workdir(flags);
    const answer = /^(npm|pypi|oci|go):/.test(what) ? await trace().traceArtifact(cwd, what, process.env) : await trace().traceSha(cwd, what, process.env);
    for (const u of answer.unreadable) process.stderr.write(`nx-ameide-release: not read: ${u.project} ${u.kind}: ${u.error}\n`);
    if (flags.format === 'json') process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    if (!answer.sha) {
      const asked = answer.asked ?? [];
      const why =
        answer.asked === undefined
          ? `no artifact on the configured registries was built from ${what}`
          : asked.length === 0
            ? `${what} is not on its registry`
            : `${what} records ${asked.some((a) => a.gitSha) ? 'more than one commit' : 'no commit'}`;
      process.stderr.write(`nx-ameide-release: ${why}${answer.unreadable.length ? ' (some registries could not be read, see above)' : ''}\n`);
      return 1;
    }
    if (flags.format !== 'json') process.stdout.write(trace().traceTable(answer));
    // Found, but a registry could not be read: the list may be missing artifacts.
    return answer.unreadable.length ? 2 : 0;
  });
}
