import type { Command } from 'commander';
import { action, cwdOption, formatOption, FULL_SHA, helpAfter, usageError, valueOption, workdir } from './options';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const releaseManifest = () => require('../release-manifest') as typeof import('../release-manifest');

interface ManifestFlags {
  cwd?: string;
  sha?: string;
  format: 'json' | 'markdown';
}

/** Re-aggregates dist/release/manifest.json from the run's results and prints it (json or a Markdown table). */
export function register(program: Command): void {
  const command = program
    .command('manifest')
    .summary("the release manifest of the run, from its publish and ghcr results")
    .description(
      'The release manifest of the run: aggregates the dist/<project>/publish-result.json and ghcr-result.json of --sha (default: the one commit they are of) into dist/release/manifest.json and prints it (markdown: the table for $GITHUB_STEP_SUMMARY). Schema: docs/release-manifest.md',
    )
    .addOption(cwdOption('the workspace'))
    .addOption(formatOption('manifest', ['json', 'markdown'], 'json | markdown'))
    .addOption(valueOption('--sha <commit>', 'the 40-hex commit of the run (default: the one commit the results are of)'));
  helpAfter(command, ['Examples:', '  nx-ameide-release manifest --format markdown >> "$GITHUB_STEP_SUMMARY"'].join('\n'));
  action<ManifestFlags>(command, async (flags) => {
    const { sha } = flags;
    if (sha !== undefined && !FULL_SHA.test(sha)) throw usageError(`manifest --sha takes the 40-hex commit of the run, got ${sha}`);
    const cwd = workdir(flags);
    if (releaseManifest().readProjectRecords(cwd).length === 0) {
      // A run that published nothing (no affected project, the build channel, a failure before any upload).
      process.stdout.write(flags.format === 'markdown' ? '### Release manifest\n\nNothing was published in this run (no publish or ghcr result under dist/).\n' : 'null\n');
      return 0;
    }
    const manifest = releaseManifest().writeReleaseManifest(cwd, sha);
    process.stdout.write(flags.format === 'markdown' ? releaseManifest().manifestMarkdown(manifest) : `${JSON.stringify(manifest, null, 2)}\n`);
    return 0;
  });
}
