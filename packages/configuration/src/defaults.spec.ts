import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backoffDelayMs, buildInfo, CLIENT_DEFAULTS, DEFAULT_RETRY_POLICY, readBuildInfo } from './index';

describe('client defaults', () => {
  it('hold the documented values', () => {
    expect(CLIENT_DEFAULTS).toEqual({
      endpoint: 'https://api.ameide.io',
      timeoutMs: 5000,
      retry: {
        maxAttempts: 3,
        initialBackoffMs: 250,
        backoffMultiplier: 2,
        maxBackoffMs: 5000,
        jitter: { min: 0.5, max: 1.5 },
        retryableCodes: ['unavailable', 'deadline_exceeded', 'aborted', 'resource_exhausted'],
      },
    });
  });

  it('are frozen so no consumer can change them for everybody', () => {
    expect(Object.isFrozen(CLIENT_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY.retryableCodes)).toBe(true);
  });
});

describe('backoffDelayMs', () => {
  it.each([
    ['first retry, lowest jitter', 1, 0, 125],
    ['first retry, no jitter (factor 1)', 1, 0.5, 250],
    ['second retry doubles', 2, 0.5, 500],
    ['fifth retry, factor 1', 5, 0.5, 4000],
    ['sixth retry is capped before jitter', 6, 0, 2500],
    ['capped again after jitter', 6, 0.999, 5000],
  ])('%s', (_name, retry, random, expected) => {
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, retry, random)).toBeCloseTo(expected, 6);
  });
});

describe('buildInfo', () => {
  it('reads the package.json of this package: 0.0.0 and unknown in the workspace', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(buildInfo()).toEqual({ name: '@ameideio/configuration', version: pkg.version, gitSha: 'unknown' });
    expect(pkg.version).toBe('0.0.0');
  });

  it('reports the stamped version and gitHead of a packed copy', () => {
    expect(readBuildInfo({ name: 'x', version: '1.2.3', gitHead: 'a'.repeat(40) })).toEqual({
      name: 'x',
      version: '1.2.3',
      gitSha: 'a'.repeat(40),
    });
  });
});
