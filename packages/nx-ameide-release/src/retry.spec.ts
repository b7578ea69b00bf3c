import { isTransientError, withRetry } from './retry';

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });

describe('retry', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), true],
    ['connection reset', new Error('read ECONNRESET'), true],
    ['503 from the registry', httpError(503), true],
    ['429 rate limit', httpError(429), true],
    ['409 conflict is final', httpError(409), false],
    ['403 forbidden is final', httpError(403), false],
    ['a plain bug is final', new TypeError('x is undefined'), false],
  ])('%s -> transient=%s', (_name, err, expected) => {
    expect(isTransientError(err)).toBe(expected);
  });

  it('retries transient failures with exponential backoff up to the limit, then throws the last error', async () => {
    const delays: number[] = [];
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw httpError(502);
      },
      undefined,
      { attempts: 4, initialDelayMs: 100, factor: 2, maxDelayMs: 300, sleep: async (ms) => void delays.push(ms) },
    ).catch((e) => e);
    expect(calls).toBe(4);
    expect(delays).toEqual([100, 200, 300]);
    expect(err.status).toBe(502);
  });

  it('fails at once on a final error and returns the first success', async () => {
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw httpError(404); }, undefined, { sleep: async () => {} })).rejects.toThrow('HTTP 404');
    expect(calls).toBe(1);
    let n = 0;
    const value = await withRetry(async () => { if (++n < 3) throw new Error('socket hang up'); return 'ok'; }, undefined, { sleep: async () => {} });
    expect([value, n]).toEqual(['ok', 3]);
  });
});
