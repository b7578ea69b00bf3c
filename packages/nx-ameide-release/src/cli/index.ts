import { Command, CommanderError } from 'commander';
import { ReleaseError } from '../errors';
import * as affected from './affected';
import * as argocd from './argocd';
import * as context from './context';
import * as gitopsCheck from './gitops-check';
import * as manifest from './manifest';
import * as notes from './notes';
import { exitCodeOf, helpPage, usageError, type Subcommand } from './options';
import * as trace from './trace';
import * as verify from './verify';

/**
 * The subcommands, in the order the manual lists them. A new one is a file exporting
 * `register(program)` and one line here. Each loads its feature modules on first use: `context`
 * (run by every Nx task) loads no evidence, trace, gitops, registry or YAML code.
 */
const SUBCOMMANDS: readonly Subcommand[] = [context, notes, verify, manifest, trace, affected, gitopsCheck, argocd];

/** The program: commander parses, `--help` is generated; errors come back to `main` (nothing exits here). */
function program(): Command {
  const program = new Command('nx-ameide-release')
    .description('The version context of a git checkout, and the evidence of a release.')
    .usage('<command> [options]')
    .exitOverride()
    .configureOutput({ outputError: () => undefined }) // main prints the refusal, in the form of every other error
    .showSuggestionAfterError();
  for (const subcommand of SUBCOMMANDS) subcommand.register(program);
  // The manual: the list of commands, then every command's page (`<command> --help` prints one).
  program.addHelpText('after', () => `\n${program.commands.filter((c) => c.name() !== 'help').map(helpPage).join('\n')}`);
  return program;
}

/** Runs the CLI on `argv` (without node and the script): the exit code; output on stdout and stderr. */
export async function main(argv: string[]): Promise<number> {
  // argocd parses its own flags, on a program loaded only when it runs (src/cli/argocd.ts says why).
  if (argv[0] === argocd.NAME) {
    try {
      return await argocd.run(argv);
    } catch (e) {
      if (!(e instanceof ReleaseError)) throw e;
      process.stderr.write(`nx-ameide-release: ${e.message}\n`);
      return 1;
    }
  }
  const cli = program();
  try {
    await cli.parseAsync(argv, { from: 'user' });
    return exitCodeOf(cli);
  } catch (e) {
    if (e instanceof CommanderError) return refused(cli, e);
    if (e instanceof ReleaseError) {
      process.stderr.write(`nx-ameide-release: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** What commander refused (or the help it printed), in the words of this CLI: the exit code. */
function refused(cli: Command, e: CommanderError): number {
  // --help (0), `help [command]` (0), or no command: the manual on stderr (1).
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return e.exitCode;
  const named = /'([^']+)'/.exec(e.message)?.[1];
  const similar = /Did you mean (.+)\?/.exec(e.message)?.[1];
  const hint = similar ? ` (did you mean ${similar}?)` : '';
  if (e.code === 'commander.unknownCommand' && named) {
    process.stderr.write(`unknown command ${named}${hint}\n\n`);
    cli.outputHelp({ error: true });
    return 1;
  }
  const what =
    e.code === 'commander.unknownOption' && named
      ? `unknown flag ${named.replace(/=.*/, '')}${hint}`
      : e.code === 'commander.optionMissingArgument' && named
        ? `${named.split(/[ ,]+/).find((f) => f.startsWith('--')) ?? named} needs a value`
        : e.message.replace(/^error: /, '');
  process.stderr.write(`nx-ameide-release: ${usageError(what).message}\n`);
  return 1;
}
