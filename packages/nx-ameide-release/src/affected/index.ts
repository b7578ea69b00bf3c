import { ReleaseError } from '../errors';
import { redact, run } from '../exec';
import { isAncestor, resolveCommit } from '../git';
import { git, gitLines } from '../git/env';
import { resolveContext } from '../context';
import type { Env } from '../destinations/registries';
import { traceSubjects } from '../trace/projects';
import { devHead, type DevHead } from './dev-head';
import { planAffected, type AffectedPlan, type PlanDeps, type ProjectState } from './plan';

export { planAffected, type AffectedPlan, type ProjectChoice, type ProjectState, type PlanDeps } from './plan';
export { devHead, newestDev, DEV_TAG, type DevHead } from './dev-head';

/** The workspace's own Nx, run by this node (no shell, no PATH lookup). */
function nxBin(workspaceRoot: string): string {
  try {
    return require.resolve('nx/bin/nx.js', { paths: [workspaceRoot] });
  } catch {
    throw new ReleaseError(`nx is not installed in ${workspaceRoot}`, 'install the workspace dependencies first (pnpm install / npm ci)', workspaceRoot);
  }
}

/** `nx show projects --affected --base <base> --head <head>`: Nx's own rule (project files, dependencies, workspace-wide inputs). */
export async function nxAffectedSince(workspaceRoot: string, base: string, head: string): Promise<Set<string>> {
  const res = await run({
    command: process.execPath,
    args: [nxBin(workspaceRoot), 'show', 'projects', '--affected', '--base', base, '--head', head, '--json'],
    cwd: workspaceRoot,
    env: { ...process.env, NX_TUI: 'false', NX_DAEMON: process.env.NX_DAEMON ?? 'false' },
  });
  const line = res.stdout.split('\n').find((l) => l.trim().startsWith('['));
  if (res.exitCode !== 0 || !line) {
    const tail = (res.stderr || res.stdout).trim().split('\n').slice(-5).join('\n');
    throw new ReleaseError(`nx show projects --affected --base ${base} failed (exit ${res.exitCode}): ${tail}`, 'run that command in the workspace to see why (a broken project graph fails every nx command)', workspaceRoot);
  }
  return new Set(JSON.parse(line) as string[]);
}

/** Real git and Nx for planAffected. */
export function workspaceDeps(workspaceRoot: string): PlanDeps {
  return {
    isAncestor: (sha, head) => isAncestor(workspaceRoot, sha, head),
    mergeBase: async (shas) => gitLines((await git(workspaceRoot, ['merge-base', '--octopus', ...shas])).stdout)[0],
    affectedSince: (base, head) => nxAffectedSince(workspaceRoot, base, head),
  };
}

function releaseProjects(workspaceRoot: string, env: Env): ProjectState[] {
  const { subjects, refused } = traceSubjects(workspaceRoot, env);
  return [...new Set([...subjects, ...refused].map((s) => s.project))].map((project) => ({ project, heads: [], unreadable: [] }));
}

/** What the registries hold on the dev channel for every release project (all asked in parallel). */
export async function readProjectStates(workspaceRoot: string, env: Env): Promise<ProjectState[]> {
  const { subjects, refused } = traceSubjects(workspaceRoot, env);
  const states = new Map<string, ProjectState>();
  const state = (project: string) => states.get(project) ?? states.set(project, { project, heads: [], unreadable: [] }).get(project)!;
  for (const r of refused) state(r.project).unreadable.push(`${r.refusal.kind ?? 'destination'} refused: ${r.refusal.what}`);
  await Promise.all(
    subjects.map(async (s) => {
      const st = state(s.project);
      try {
        const h: DevHead | null = await devHead(s);
        if (h) st.heads.push(h);
      } catch (e) {
        st.unreadable.push(redact(`${s.kind}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`));
      }
    }),
  );
  for (const st of states.values()) st.heads.sort((a, b) => a.kind.localeCompare(b.kind));
  return [...states.values()];
}

/**
 * The release projects this run publishes: every one on a release; on main (and on a build, to
 * preview) those changed since what the dev channel last published, read from the registries.
 */
export async function affectedProjects(workspaceRoot: string, env: Env, ref?: string, baseRef?: string): Promise<AffectedPlan> {
  const ctx = await resolveContext({ workspaceRoot, env, options: { ref } });
  const head = ctx.GIT_SHA;
  const base = baseRef === undefined ? undefined : await resolveCommit(workspaceRoot, baseRef);
  if (base !== undefined && !(await isAncestor(workspaceRoot, base, head))) {
    throw new ReleaseError(`--base ${baseRef} (${base.slice(0, 7)}) is not an ancestor of HEAD ${head.slice(0, 7)}`, "pass a commit of HEAD's history (git log --oneline), or leave --base out to count from what the dev channel last published", workspaceRoot);
  }
  // A release publishes every project, and a given base needs no registry: nothing to ask.
  const projects = ctx.CHANNEL === 'release' || base !== undefined ? releaseProjects(workspaceRoot, env) : await readProjectStates(workspaceRoot, env);
  if (projects.length === 0) throw new ReleaseError(`no release project in ${workspaceRoot}`, 'run affected in the workspace (or --cwd <workspace>); release projects carry the ameide:release tag');
  return planAffected({ channel: ctx.CHANNEL, head, projects, base }, workspaceDeps(workspaceRoot));
}

/** The human answer: the chosen list, then one line per project with its base and why. */
export function affectedTable(p: AffectedPlan): string {
  const width = Math.max(...p.choices.map((c) => c.project.length));
  return [
    `${p.channel} channel at ${p.head.slice(0, 7)}: ${p.projects.length} of ${p.choices.length} release project(s) to publish: ${p.projects.join(', ') || '(none)'}`,
    ...p.choices.map((c) => `  ${c.project.padEnd(width)}  ${c.chosen ? 'publish' : 'skip   '}  ${c.reason}`),
    '',
  ].join('\n');
}

/** The job summary's section (markdown). */
export function affectedMarkdown(p: AffectedPlan): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `### Projects to publish (${p.channel} channel, ${p.head.slice(0, 7)}): ${p.projects.length ? p.projects.map((x) => `\`${x}\``).join(', ') : 'none'}`,
    '',
    '| project | | base | why |',
    '|---|---|---|---|',
    ...p.choices.map((c) => `| ${c.project} | ${c.chosen ? 'publish' : 'skip'} | ${c.base ? `\`${c.base.slice(0, 7)}\`` : 'none'} | ${cell(c.reason)} |`),
    '',
  ].join('\n');
}
