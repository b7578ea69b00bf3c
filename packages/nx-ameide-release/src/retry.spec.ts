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
    ["fetch's reset connection (the cause holds the socket error)", new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }), true],
    ["fetch's refused connection", new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) }), true],
    ["fetch failing for a final reason (the cause is no network error)", new TypeError('fetch failed', { cause: new Error('invalid header value') }), false],
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

describe('retry within a time budget', () => {
  /** A fake clock: sleeping and each attempt advance it. */
  const clock = (attemptMs: number) => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms), spend: () => void (t += attemptMs) };
  };

  it('starts no attempt whose wait would end past the budget, and tells each attempt what is left', async () => {
    const c = clock(400);
    const left: number[] = [];
    const err = await withRetry(
      async (_attempt, remainingMs) => {
        left.push(remainingMs);
        c.spend();
        throw httpError(503);
      },
      undefined,
      { attempts: 5, initialDelayMs: 100, factor: 2, budgetMs: 1000, now: c.now, sleep: c.sleep },
    ).catch((e) => e);
    // 0: 1000 left; spent 400, wait 100 -> 500 left; spent 400, wait 200 would leave < 0: stop
    expect(left).toEqual([1000, 500]);
    expect(err.status).toBe(503);
  });

  it('without a budget the attempts are unbounded in time (Infinity left)', async () => {
    const left: number[] = [];
    await withRetry(async (attempt, remainingMs) => { left.push(remainingMs); if (attempt < 2) throw httpError(503); }, undefined, { sleep: async () => {} });
    expect(left).toEqual([Infinity, Infinity]);
  });

  it("Node fetch's reset ('other side closed', UND_ERR_SOCKET) is transient", () => {
    expect(isTransientError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))).toBe(true);
  });
});
