import { ReleaseError } from '../errors';
import { globToRegExp } from '../gitops/scan';
import type { Application, Apps, PatchOp } from './cluster';
import { decodeHold, encodeHold, HOLD_ANNOTATION, isExpired, newHold, type Clock, type Hold } from './lease';

/**
 * Pause and resume of an Argo CD Application's automated sync, for the inner loop (Tilt) to take a
 * Deployment over from GitOps and give it back. Only the Application object is read and patched;
 * the workload objects are never touched.
 *
 * Every write is one JSON Patch whose first operation sets metadata.resourceVersion to the one read:
 * the API server refuses it with 409 when anyone wrote the object in between, and the operation
 * starts over from a fresh read. So two pauses at once give one holder and one refusal naming it,
 * never two records or a lost policy.
 */

export interface ProtectRules {
  /** Globs of prod/staging paths (the gitops-check option), matched against the Application's source paths, project and destination namespace. */
  prodPaths: string[];
  /** Where the globs came from, for the refusal's message. */
  prodPathsFrom: string;
  /** A label selector of protected Applications, evaluated by the API server. */
  selector?: string;
  selectorFrom?: string;
}

export interface HandoffOptions {
  apps: Apps;
  namespace: string;
  owner: string;
  clock: Clock;
}

export type PauseOutcome =
  | { state: 'paused'; hold: Hold }
  | { state: 'renewed'; hold: Hold }
  | { state: 'no-automated' };

export type ResumeOutcome =
  | { state: 'resumed'; hold: Hold; overrode?: string }
  | { state: 'not-paused' };

const ATTEMPTS = 8;
const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const HOLD_PATH = `/metadata/annotations/${pointer(HOLD_ANNOTATION)}`;
const pin = (app: Application): PatchOp => ({ op: 'replace', path: '/metadata/resourceVersion', value: app.metadata.resourceVersion });
const automatedOf = (app: Application) => {
  const a = app.spec?.syncPolicy?.automated;
  return a && typeof a === 'object' ? a : null;
};
const id = (app: Application) => `${app.metadata.namespace}/${app.metadata.name}`;

/** The rule a (prod/staging) Application matches, or null. Names the rule and where it is set. */
export async function protectedBy(app: Application, rules: ProtectRules, apps: Apps): Promise<string | null> {
  const spec = app.spec ?? {};
  const sources = [spec.source, ...(spec.sources ?? [])].filter((s): s is { path?: string } => !!s);
  // A glob like **/prod/** names a folder: a source path `deploy/prod` and a namespace `prod` are in it.
  const candidates: [string, string][] = [
    ...sources.filter((s) => s.path).map((s) => [`source path ${s.path}`, `${s.path!.replace(/^\.\/+|\/+$/g, '')}/`] as [string, string]),
    ...(spec.destination?.namespace ? [[`destination namespace ${spec.destination.namespace}`, `${spec.destination.namespace}/`] as [string, string]] : []),
    ...(spec.project ? [[`project ${spec.project}`, `${spec.project}/`] as [string, string]] : []),
  ];
  for (const glob of rules.prodPaths) {
    const re = globToRegExp(glob);
    const hit = candidates.find(([, p]) => re.test(p) || re.test(`${p}x`));
    if (hit) return `its ${hit[0]} matches the prod/staging path ${glob} (${rules.prodPathsFrom})`;
  }
  if (rules.selector) {
    const found = await apps.list(app.metadata.namespace, { labelSelector: rules.selector, fieldSelector: `metadata.name=${app.metadata.name}` });
    if (found.length) return `its labels match the protected selector ${rules.selector} (${rules.selectorFrom})`;
  }
  return null;
}

function heldBy(app: Application, hold: Hold, what: string, fix: string): ReleaseError {
  return new ReleaseError(`${what}: ${id(app)} is paused by ${hold.holder} since ${hold.since} (lease until ${hold.expires})`, fix);
}

/**
 * Records the automated policy and the hold in the annotation and removes automated sync, in one
 * write. Idempotent: the same owner pausing again renews the lease. No automated policy: a no-op.
 */
export async function pause(o: HandoffOptions, name: string, ttlMs: number, rules: ProtectRules): Promise<PauseOutcome> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const app = await o.apps.get(o.namespace, name);
    const rule = await protectedBy(app, rules, o.apps);
    if (rule) throw new ReleaseError(`${id(app)} is protected: ${rule}`, 'the handoff is for dev Applications only; prod and staging stay with GitOps');
    const held = decodeHold(app.metadata.annotations, id(app));
    const now = o.clock();
    if (held) {
      if (held.holder !== o.owner) {
        throw heldBy(app, held, 'refused', `ask ${held.holder} to resume it (or wait for the lease to end; then \`argocd resume --expired\`)`);
      }
      const hold = { ...held, expires: new Date(now.getTime() + ttlMs).toISOString() };
      const r = await o.apps.patch(app, [pin(app), { op: 'replace', path: HOLD_PATH, value: encodeHold(hold) }]);
      if (r === 'conflict') continue;
      return { state: 'renewed', hold };
    }
    const automated = automatedOf(app);
    if (!automated) return { state: 'no-automated' };
    const hold = newHold(o.owner, automated, now, ttlMs);
    const annotate: PatchOp = app.metadata.annotations
      ? { op: 'add', path: HOLD_PATH, value: encodeHold(hold) }
      : { op: 'add', path: '/metadata/annotations', value: { [HOLD_ANNOTATION]: encodeHold(hold) } };
    const r = await o.apps.patch(app, [pin(app), annotate, { op: 'remove', path: '/spec/syncPolicy/automated' }]);
    if (r === 'conflict') continue;
    return { state: 'paused', hold };
  }
  throw new ReleaseError(`${o.namespace}/${name} kept changing while it was paused (${ATTEMPTS} attempts)`, 'retry; something is writing the Application continuously (a parent app with self-heal?)');
}

/** Puts back exactly the recorded automated policy and removes the annotation, in one write. */
export async function resume(o: HandoffOptions, name: string, force: boolean, only?: (h: Hold, app: Application) => boolean): Promise<ResumeOutcome> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const app = await o.apps.get(o.namespace, name);
    const hold = decodeHold(app.metadata.annotations, id(app));
    if (!hold || (only && !only(hold, app))) return { state: 'not-paused' };
    if (hold.holder !== o.owner && !force) {
      throw heldBy(app, hold, 'refused', `ask ${hold.holder}; or --force, which ends their hold and restores the policy recorded when they paused (their dev loop keeps running, and Argo CD reverts it)`);
    }
    const restore: PatchOp = app.spec?.syncPolicy
      ? { op: 'add', path: '/spec/syncPolicy/automated', value: hold.automated }
      : { op: 'add', path: '/spec/syncPolicy', value: { automated: hold.automated } };
    const r = await o.apps.patch(app, [pin(app), restore, { op: 'remove', path: HOLD_PATH }]);
    if (r === 'conflict') continue;
    return hold.holder === o.owner ? { state: 'resumed', hold } : { state: 'resumed', hold, overrode: hold.holder };
  }
  throw new ReleaseError(`${o.namespace}/${name} kept changing while it was resumed (${ATTEMPTS} attempts)`, 'retry');
}

/** Renews the owner's lease; the hold as it is now when it is no longer the owner's (or gone). */
export async function renew(o: HandoffOptions, name: string, ttlMs: number): Promise<{ state: 'renewed'; hold: Hold } | { state: 'lost'; hold: Hold | null }> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const app = await o.apps.get(o.namespace, name);
    const held = decodeHold(app.metadata.annotations, id(app));
    if (!held || held.holder !== o.owner) return { state: 'lost', hold: held };
    const hold = { ...held, expires: new Date(o.clock().getTime() + ttlMs).toISOString() };
    const r = await o.apps.patch(app, [pin(app), { op: 'replace', path: HOLD_PATH, value: encodeHold(hold) }]);
    if (r !== 'conflict') return { state: 'renewed', hold };
  }
  throw new ReleaseError(`${o.namespace}/${name} kept changing while its lease was renewed`, 'retry');
}

export interface HeldApp {
  name: string;
  hold: Hold;
  expired: boolean;
}

/** Every Application of the namespace with a hold. */
export async function holds(o: HandoffOptions): Promise<HeldApp[]> {
  const now = o.clock();
  const out: HeldApp[] = [];
  for (const app of await o.apps.list(o.namespace)) {
    const hold = decodeHold(app.metadata.annotations, id(app));
    if (hold) out.push({ name: app.metadata.name, hold, expired: isExpired(hold, now) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Resumes every hold whose lease has ended (a hold killed without its exit handler, a pause forgotten). */
export async function resumeExpired(o: HandoffOptions): Promise<{ name: string; hold: Hold }[]> {
  const done: { name: string; hold: Hold }[] = [];
  for (const h of await holds(o)) {
    if (!h.expired) continue;
    // Read again inside resume: a hold renewed since the list is left alone.
    const r = await resume(o, h.name, true, (hold) => isExpired(hold, o.clock()));
    if (r.state === 'resumed') done.push({ name: h.name, hold: r.hold });
  }
  return done;
}

export function holdsTable(list: HeldApp[], namespace: string): string {
  if (list.length === 0) return `argocd: no paused Application in namespace ${namespace}\n`;
  const rows = list.map((h) => [h.name, h.hold.holder, h.hold.since, `${h.hold.expires}${h.expired ? ' (expired)' : ''}`, JSON.stringify(h.hold.automated)]);
  const cols = ['application', 'holder', 'since', 'expires', 'recorded automated'];
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join('  ');
  return [line(cols), ...rows.map(line), ''].join('\n');
}
