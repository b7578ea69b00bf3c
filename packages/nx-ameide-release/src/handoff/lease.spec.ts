import { ReleaseError } from '../errors';
import { decodeHold, encodeHold, HOLD_ANNOTATION, isExpired, newHold, parseDuration } from './lease';

describe('the hold record', () => {
  const t0 = new Date('2026-12-07T10:00:00.000Z');

  it('round-trips every field of the automated policy, known or not', () => {
    const automated = { prune: true, selfHeal: false, allowEmpty: true, enabled: true, futureField: { x: 1 } };
    const h = newHold('alice@laptop', automated, t0, 90_000);
    expect(h).toEqual({ holder: 'alice@laptop', since: '2026-12-07T10:00:00.000Z', expires: '2026-12-07T10:01:30.000Z', automated });
    expect(decodeHold({ [HOLD_ANNOTATION]: encodeHold(h), other: 'x' }, 'argocd/a')).toEqual(h);
  });

  it('no annotation is no hold; a malformed one is an error naming the object, never a guessed policy', () => {
    expect(decodeHold(undefined, 'argocd/a')).toBeNull();
    expect(decodeHold({ other: 'x' }, 'argocd/a')).toBeNull();
    for (const bad of ['not json', '{}', JSON.stringify({ holder: 'a', since: 'x', expires: 'never', automated: {} }), JSON.stringify({ holder: 'a', since: 'x', expires: t0.toISOString(), automated: [] })]) {
      expect(() => decodeHold({ [HOLD_ANNOTATION]: bad }, 'argocd/a')).toThrow(ReleaseError);
      expect(() => decodeHold({ [HOLD_ANNOTATION]: bad }, 'argocd/a')).toThrow(/^argocd\/a: the ameide.io\/argocd-handoff annotation is not a handoff record/);
    }
  });

  it('expiry is decided by the injected clock', () => {
    const h = newHold('a', { prune: true }, t0, 60_000);
    expect(isExpired(h, new Date(t0.getTime() + 59_999))).toBe(false);
    expect(isExpired(h, new Date(t0.getTime() + 60_000))).toBe(true);
  });

  it('durations: one number and one unit', () => {
    expect(parseDuration('90s', '--ttl')).toBe(90_000);
    expect(parseDuration('15m', '--ttl')).toBe(900_000);
    expect(parseDuration('4h', '--ttl')).toBe(4 * 3_600_000);
    expect(parseDuration('1d', '--ttl')).toBe(86_400_000);
    for (const bad of ['', '0s', '5', '1h30m', '-1m', 'soon']) expect(() => parseDuration(bad, '--ttl')).toThrow(/--ttl .* is not a duration/);
  });
});
