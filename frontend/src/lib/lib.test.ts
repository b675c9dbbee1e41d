import { describe, expect, it, vi } from 'vitest';
import { ApiError, authFetch, fieldErrors } from './api';
import { parseNumber } from './format';
import { explode, staleKeys } from './live';
import { decodeClaims } from './session';

describe('api errors', () => {
  it("keys FastAPI's 422 entries by their path below the body", () => {
    const body = {
      detail: [
        { loc: ['body', 'measurements', 2], msg: 'Input should be a finite number', type: 'x' },
        { loc: ['body', 'rules', 0, 'params', 'k'], msg: 'Value error, must be > 0', type: 'x' },
        { loc: ['query', 'limit'], msg: 'too big', type: 'x' },
      ],
    };
    expect(fieldErrors(body)).toEqual({ 'measurements.2': 'Input should be a finite number', 'rules.0.params.k': 'must be > 0', limit: 'too big' });
    expect(new ApiError(409, { detail: 'taken' }).message).toBe('taken');
    expect(new ApiError(404, { detail: { message: 'no such violation', violation_ids: [3] } }).message).toBe('no such violation');
  });

  it('refreshes once on a 401 and retries with the new token', async () => {
    let token = 'old';
    const tokens = { accessToken: vi.fn(async () => token), refresh: vi.fn(async () => ((token = 'new'), true)) };
    const base = vi.fn(async (req: Request) => new Response(null, { status: req.headers.get('Authorization') === 'Bearer new' ? 200 : 401 }));
    const f = authFetch(tokens, base as unknown as typeof fetch);
    const res = await f('http://x/api/v1/violations', { method: 'POST', body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(tokens.refresh).toHaveBeenCalledTimes(1);
    expect(await (base.mock.calls[1][0] as Request).text()).toBe('{"a":1}');
    // login and refresh themselves carry no token
    await f('http://x/api/v1/auth/login', { method: 'POST' });
    expect((base.mock.calls[2][0] as Request).headers.get('Authorization')).toBeNull();
  });
});

describe('live events', () => {
  it('reads single events, lists and payload lists; ignores junk', () => {
    expect(explode({ type: 'sample', payload: { characteristic_id: 1 } })).toHaveLength(1);
    expect(explode([{ type: 'violation', payload: {} }, { type: 'sample', payload: [{}, {}] }])).toHaveLength(3);
    expect(explode({ type: 'heartbeat', ts: 'x' })).toEqual([{ type: 'heartbeat', payload: {} }]);
    expect(explode('nonsense')).toEqual([]);
  });

  it('refreshes only what an event changes', () => {
    expect(staleKeys({ type: 'sample', payload: { characteristic_id: 4, source: 'TAG' } })).toEqual([['chart', 4]]);
    expect(staleKeys({ type: 'sample', payload: { characteristic_id: 4, source: 'MANUAL' } })).toEqual([['chart', 4], ['due']]);
    expect(staleKeys({ type: 'ack_update', payload: { characteristic_id: 4, violation_id: 1 } })).toEqual([['chart', 4], ['violations'], ['violation-summary']]);
    expect(staleKeys({ type: 'limits_update', payload: { characteristic_id: 4 } })).toContainEqual(['limits-history', 4]);
    expect(staleKeys({ type: 'heartbeat', payload: {} })).toEqual([]);
  });
});

describe('helpers', () => {
  it('parses numbers as operators type them', () => {
    expect(parseNumber(' 12,5 ')).toBe(12.5);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('1e3')).toBe(1000);
    for (const bad of ['', '1.2.3', 'abc', 'Infinity', 'NaN', '1e999']) expect(parseNumber(bad)).toBeNull();
  });

  it("reads the user from the access token's claims", () => {
    const payload = btoa(JSON.stringify({ sub: 'ana', role: 'engineer', exp: 2e9 })).replace(/=+$/, '');
    expect(decodeClaims(`h.${payload}.s`)).toMatchObject({ sub: 'ana', role: 'engineer' });
    expect(decodeClaims('garbage')).toBeNull();
  });
});
