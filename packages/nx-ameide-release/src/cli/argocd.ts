import type { Command } from 'commander';

/*
 * `argocd pause|resume|hold|status`: the inner loop's handoff with Argo CD (src/handoff/). Its
 * flags live in src/handoff/command.ts, on its own commander program, loaded only when the command
 * runs: the Kubernetes client is an ES module of hundreds of files, and `context` (run by every Nx
 * task) must not load it. So the manual lists it here and `run` hands the arguments over untouched.
 */

/* eslint-disable-next-line @typescript-eslint/no-var-requires */
const handoff = () => require('../handoff/command') as typeof import('../handoff/command');

export const NAME = 'argocd';

export function register(program: Command): void {
  program
    .command(NAME)
    .summary('hands an Argo CD Application over to the inner loop (Tilt) and back')
    .usage('pause|resume|hold|status [<app>] [--namespace argocd] [--owner <who>] [options]')
    .description(
      [
        'pause records the Application\'s automated sync policy and its holder (owner, since, expiry) in one annotation and turns automated sync off; resume restores exactly that and removes the annotation; hold pauses, stays in the foreground and resumes on Ctrl-C, SIGTERM or end of input; resume --expired restores every ended lease; status lists the holds.',
        'Prod/staging Applications are refused. `nx-ameide-release argocd --help` lists every flag. Docs: docs/inner-loop.md',
      ].join('\n'),
    );
}

/** Runs `argocd ...` (argv as given, `argocd` first) on the handoff's own program: the exit code. */
export const run = (argv: string[]): Promise<number> => handoff().runArgocd(argv);
