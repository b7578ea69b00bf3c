import { ReleaseError } from '../errors';

/**
 * The one record of a handoff, kept on the Application itself in one annotation: the automated sync
 * policy as it was (all of it, whatever fields this Argo CD version has) and who holds the pause until
 * when. One object, one write: the policy is never lost between two writes, and a second holder can
 * only appear by overwriting the first, which the resourceVersion precondition refuses.
 */
export const HOLD_ANNOTATION = 'ameide.io/argocd-handoff';

export interface Hold {
  /** Who paused it (`--owner`, default git user@host). */
  holder: string;
  /** ISO-8601 UTC. */
  since: string;
  /** ISO-8601 UTC; after it the hold may be resumed by anyone with `resume --expired`. */
  expires: string;
  /** `spec.syncPolicy.automated` as the API server returned it before the pause. */
  automated: Record<string, unknown>;
}

/** The wall clock, injectable: lease expiry is wall time (not part of the version context). */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export function encodeHold(h: Hold): string {
  return JSON.stringify({ holder: h.holder, since: h.since, expires: h.expires, automated: h.automated });
}

/**
 * The hold recorded on an Application, null when there is none. A malformed annotation is an error
 * naming the object: guessing a policy to restore would be worse than stopping.
 */
export function decodeHold(annotations: Record<string, string> | undefined, where: string): Hold | null {
  const raw = annotations?.[HOLD_ANNOTATION];
  if (raw === undefined) return null;
  let h: Partial<Hold> | null = null;
  try {
    h = JSON.parse(raw);
  } catch {
    h = null;
  }
  const ok =
    h !== null &&
    typeof h === 'object' &&
    typeof h.holder === 'string' &&
    typeof h.since === 'string' &&
    typeof h.expires === 'string' &&
    !Number.isNaN(Date.parse(h.expires)) &&
    typeof h.automated === 'object' &&
    h.automated !== null &&
    !Array.isArray(h.automated);
  if (!ok) {
    throw new ReleaseError(
      `the ${HOLD_ANNOTATION} annotation is not a handoff record`,
      `inspect it (kubectl get application -o yaml); restore spec.syncPolicy.automated by hand and delete the annotation`,
      where,
    );
  }
  return h as Hold;
}

export const isExpired = (h: Hold, now: Date): boolean => Date.parse(h.expires) <= now.getTime();

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `4h`, `1d` (one number, one unit) in milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new ReleaseError(`${flag} ${text} is not a duration`, `give a number and a unit s, m, h or d, e.g. ${flag} 15m`);
  return Number(m[1]) * UNITS[m[2]];
}

export function newHold(holder: string, automated: Record<string, unknown>, now: Date, ttlMs: number): Hold {
  return { holder, since: now.toISOString(), expires: new Date(now.getTime() + ttlMs).toISOString(), automated };
}
