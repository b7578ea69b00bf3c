/**
 * The plugin's layering (docs/adapter-contract.md), checked by `bash tools/test-all.sh`.
 * Imports point down only:
 *
 *   cli/  executors/           entry points: thin wrappers over the flow
 *   flow/                      orchestration: preflight, pack integrity, the per-task pipeline
 *   ecosystems/<name>/         one adapter each, under the core contract
 *   core/                      the contract, decide, publishFlow, findings, the shared rules
 *   destinations/              where each artifact goes (options, project, AMEIDE_* variables)
 *   version/  and the leaves   (exec, git, hash, retry, store, net, errors...)
 *
 * A violation fails the check and names the offending import.
 */
const above = (...dirs) => `^src/(${dirs.join('|')})(/|\\.ts$)`;

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'one floor per module: no import comes back round', from: {}, to: { circular: true } },
    {
      name: 'core-is-below-everything-it-serves',
      severity: 'error',
      comment: 'core holds the contract and the rules; it names no ecosystem and knows no orchestration',
      from: { path: '^src/core/' },
      to: { path: above('ecosystems', 'flow', 'executors', 'cli', 'plugin', 'generators', 'evidence', 'trace', 'affected', 'gitops', 'handoff', 'release-manifest') },
    },
    {
      name: 'destinations-below-core',
      severity: 'error',
      comment: 'destinations are configuration: resolved from options, the project and the environment, by nothing above',
      from: { path: '^src/destinations/' },
      to: { path: above('core', 'ecosystems', 'flow', 'executors', 'cli', 'plugin', 'generators', 'evidence', 'trace', 'affected', 'gitops', 'handoff', 'release-manifest') },
    },
    {
      name: 'ecosystem-not-orchestration',
      severity: 'error',
      comment: 'an adapter is driven by the flow; it never imports it, an executor, the CLI or a feature',
      from: { path: '^src/ecosystems/' },
      to: { path: above('flow', 'executors', 'cli', 'plugin', 'generators', 'trace', 'affected', 'gitops', 'handoff', 'release-manifest') },
    },
    {
      name: 'ecosystem-alone',
      severity: 'error',
      comment: 'an ecosystem imports no other ecosystem (nor the registry of all of them)',
      from: { path: '^src/ecosystems/([^/]+)/' },
      to: { path: '^src/ecosystems/', pathNot: '^src/ecosystems/$1/' },
    },
    {
      name: 'executors-are-thin',
      severity: 'error',
      comment: 'executors map options to the flow and its outcome to { success }: no adapter, CLI or plugin code',
      from: { path: '^src/executors/' },
      to: { path: above('ecosystems', 'cli', 'plugin', 'generators') },
    },
    {
      name: 'flow-below-entry-points',
      severity: 'error',
      comment: 'the flow is called by executors and the CLI, never the other way',
      from: { path: '^src/flow/' },
      to: { path: above('executors', 'cli', 'plugin', 'generators') },
    },
    {
      name: 'version-is-pure',
      severity: 'error',
      comment: 'the version model reads no git, no files, no network: it imports only itself',
      from: { path: '^src/version/' },
      to: { path: '^src/', pathNot: '^src/(version/|errors\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(\\.spec\\.ts$|/testing/|/files/)' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
