import type { PauseOutcome, ResumeOutcome } from './argocd';

/** What each outcome prints: one line, naming the Application and the policy. */
export function describePause(app: string, r: PauseOutcome): string {
  if (r.state === 'no-automated') return `argocd: ${app} has no automated sync policy: nothing to pause (Argo CD does not revert it)`;
  const policy = JSON.stringify(r.hold.automated);
  if (r.state === 'renewed') return `argocd: ${app} was already paused by ${r.hold.holder}; lease renewed until ${r.hold.expires}`;
  return `argocd: paused automated sync of ${app} (recorded ${policy}); held by ${r.hold.holder} until ${r.hold.expires}`;
}

export function describeResume(app: string, r: ResumeOutcome): string {
  if (r.state === 'not-paused') return `argocd: ${app} is not paused by the handoff: nothing to resume`;
  const forced = r.overrode ? ` (--force: ended the hold of ${r.overrode} since ${r.hold.since})` : '';
  return `argocd: restored automated sync of ${app}: ${JSON.stringify(r.hold.automated)}${forced}`;
}
