import { existsSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ReleaseError } from '../errors';
import { gitMayFail } from '../git/env';
import { DEFAULT_PROTECTED_PATHS } from '../gitops';
import { PLUGIN_NAME } from '../names';
import { holds, holdsTable, pause, resume, resumeExpired, type HandoffOptions, type ProtectRules } from './argocd';
import type { Apps, ConnectOptions } from './cluster';
import { hold } from './hold';
import { parseDuration, systemClock, type Clock } from './lease';
import { describePause, describeResume } from './messages';

/**
 * `nx-ameide-release argocd pause|resume|hold|status`: the inner loop's handoff with Argo CD
 * (docs/inner-loop.md). register() adds the command to a commander program; the Kubernetes client
 * loads only when one of these runs.
 */

interface Common {
  namespace: string;
  owner?: string;
  kubeconfig?: string;
  requestTimeout: string;
  prodPaths?: string;
  protectedSelector?: string;
  cwd?: string;
}

export interface HandoffDeps {
  clock?: Clock;
  connect?: (o: ConnectOptions) => Apps;
  out?: (line: string) => void;
}

/** The plugin's entry in nx.json: gitops.prodPaths (shared with gitops-check) and argocd.protectedSelector. */
function pluginOptions(workspaceRoot: string): { gitops?: { prodPaths?: unknown }; argocd?: { protectedSelector?: unknown } } {
  const file = join(workspaceRoot, 'nx.json');
  if (!existsSync(file)) return {};
  try {
    const nx = JSON.parse(readFileSync(file, 'utf8')) as { plugins?: unknown[] };
    const entry = (nx.plugins ?? []).find((p) => typeof p === 'object' && p !== null && (p as { plugin?: unknown }).plugin === PLUGIN_NAME) as { options?: Record<string, never> } | undefined;
    return entry?.options ?? {};
  } catch (e) {
    throw new ReleaseError(`nx.json is not valid JSON: ${(e as Error).message}`, 'fix the syntax of nx.json', file);
  }
}

/** The prod/staging policy: flags over nx.json over the gitops-check defaults. */
export function protectRules(o: Pick<Common, 'prodPaths' | 'protectedSelector'>, workspaceRoot: string): ProtectRules {
  const plugin = pluginOptions(workspaceRoot);
  const fromNx = plugin.gitops?.prodPaths;
  let prodPaths: string[];
  let prodPathsFrom: string;
  if (o.prodPaths !== undefined) {
    prodPaths = o.prodPaths.split(',').map((g) => g.trim()).filter(Boolean);
    prodPathsFrom = '--prod-paths';
  } else if (Array.isArray(fromNx) && fromNx.every((g) => typeof g === 'string')) {
    prodPaths = fromNx as string[];
    prodPathsFrom = 'nx.json gitops.prodPaths';
  } else {
    prodPaths = DEFAULT_PROTECTED_PATHS;
    prodPathsFrom = 'the default prod/staging paths';
  }
  if (prodPaths.length === 0) throw new ReleaseError('--prod-paths is empty', `pass globs, e.g. --prod-paths '${DEFAULT_PROTECTED_PATHS.join(',')}'`);
  const nxSelector = plugin.argocd?.protectedSelector;
  const selector = o.protectedSelector ?? (typeof nxSelector === 'string' && nxSelector ? nxSelector : undefined);
  return { prodPaths, prodPathsFrom, selector, selectorFrom: o.protectedSelector !== undefined ? '--protected-selector' : 'nx.json argocd.protectedSelector' };
}

/** The default holder: the git user (user.name, else the login) and the host. */
async function defaultOwner(cwd: string): Promise<string> {
  const r = await gitMayFail(cwd, ['config', 'user.name']).catch(() => ({ exitCode: 1, stdout: '' }));
  const user = (r.exitCode === 0 && r.stdout.trim()) || userInfo().username;
  return `${user}@${hostname()}`;
}

const seconds = (text: string) => {
  const n = Number(text.replace(/s$/, ''));
  if (!Number.isFinite(n) || n <= 0) throw new ReleaseError(`--request-timeout ${text} is not a number of seconds`, '--request-timeout 10s');
  return n * 1000;
};

export function register(program: Command, deps: HandoffDeps = {}): Command {
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const argocd = program
    .command('argocd')
    .description('hand an Argo CD Application over to the inner loop (Tilt) and back: pause/resume its automated sync');

  const common = (c: Command) =>
    c
      .addOption(new Option('-n, --namespace <ns>', 'namespace of the Application objects').default('argocd'))
      .option('--owner <who>', 'the holder recorded on a pause (default: git user.name@host)')
      .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, then ~/.kube/config, then in-cluster)')
      .addOption(new Option('--request-timeout <seconds>', 'deadline of each API request').default('10s'))
      .option('--cwd <dir>', 'workspace whose nx.json holds the prod/staging policy (default: the current directory)');
  const policy = (c: Command) =>
    c
      .option('--prod-paths <globs>', 'prod/staging globs (default: nx.json gitops.prodPaths, else **/prod/**,**/staging/**), matched against source paths, project, destination namespace')
      .option('--protected-selector <selector>', 'label selector of protected Applications (default: nx.json argocd.protectedSelector)');

  const setup = async (o: Common): Promise<{ h: HandoffOptions; cwd: string }> => {
    const cwd = resolve(o.cwd ?? process.cwd());
    const timeoutMs = seconds(o.requestTimeout);
    const connect = deps.connect ?? ((c: ConnectOptions) => (require('./cluster') as typeof import('./cluster')).connect(c));
    const apps = connect({ kubeconfig: o.kubeconfig, timeoutMs });
    return { h: { apps, namespace: o.namespace, owner: o.owner ?? (await defaultOwner(cwd)), clock: deps.clock ?? systemClock }, cwd };
  };

  policy(common(argocd.command('pause').argument('<app>', 'Application name')))
    .description('record spec.syncPolicy.automated and the holder in one annotation, then remove automated sync')
    .addOption(new Option('--ttl <duration>', 'lease: after it, `resume --expired` may restore the app').default('4h'))
    .action(async (app: string, o: Common & { ttl: string }) => {
      const ttl = parseDuration(o.ttl, '--ttl');
      const { h, cwd } = await setup(o);
      out(describePause(`${h.namespace}/${app}`, await pause(h, app, ttl, protectRules(o, cwd))));
    });

  common(argocd.command('resume').argument('[app]', 'Application name (none with --expired)'))
    .description('restore exactly the recorded automated policy and remove the annotation')
    .option('--force', 'resume an app paused by someone else: ends their hold and restores the policy they recorded')
    .option('--expired', 'resume every Application of the namespace whose lease has ended, printing each')
    .action(async (app: string | undefined, o: Common & { force?: boolean; expired?: boolean }) => {
      if (o.expired && app) throw new ReleaseError('resume takes an app or --expired, not both', 'nx-ameide-release argocd resume --expired');
      if (!o.expired && !app) throw new ReleaseError('resume needs an app (or --expired)', 'nx-ameide-release argocd resume <app>');
      const { h } = await setup(o);
      if (!o.expired) return out(describeResume(`${h.namespace}/${app}`, await resume(h, app!, !!o.force)));
      const done = await resumeExpired(h);
      if (done.length === 0) return out(`argocd: no expired hold in namespace ${h.namespace}`);
      for (const d of done) out(`argocd: restored automated sync of ${h.namespace}/${d.name}: ${JSON.stringify(d.hold.automated)} (held by ${d.hold.holder} since ${d.hold.since}; lease ended ${d.hold.expires})`);
    });

  policy(common(argocd.command('hold').argument('<app>', 'Application name')))
    .description('pause, stay in the foreground renewing the lease, resume on Ctrl-C, SIGTERM or end of input (a Tilt local_resource serve_cmd)')
    .addOption(new Option('--ttl <duration>', 'lease, renewed every third of it while the hold runs').default('2m'))
    .action(async (app: string, o: Common & { ttl: string }) => {
      const ttl = parseDuration(o.ttl, '--ttl');
      const { h, cwd } = await setup(o);
      await hold(h, app, ttl, protectRules(o, cwd), out);
    });

  common(argocd.command('status'))
    .description('every paused Application of the namespace: holder, since, expiry')
    .addOption(new Option('--format <f>', 'table or json').choices(['table', 'json']).default('table'))
    .action(async (o: Common & { format: string }) => {
      const { h } = await setup(o);
      const list = await holds(h);
      if (o.format === 'json') out(JSON.stringify(list.map((x) => ({ name: x.name, namespace: h.namespace, ...x.hold, expired: x.expired })), null, 2));
      else process.stdout.write(holdsTable(list, h.namespace));
    });
  return argocd;
}

/** Runs `argocd ...` on its own program (today's src/cli.ts dispatch); the exit code. */
export async function runArgocd(argv: string[], deps: HandoffDeps = {}): Promise<number> {
  const program = new Command('nx-ameide-release').exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  register(program, deps);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    const ce = e as { code?: string; exitCode?: number };
    if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) return ce.exitCode ?? 1;
    throw e;
  }
}
