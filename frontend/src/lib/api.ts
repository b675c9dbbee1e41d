// The generated client (src/client/, from the server's OpenAPI schema) set up for this app:
// same origin, the session's bearer token on every call, one refresh-and-retry on a 401.
import { client } from '@/client/client.gen';
import type { ValidationError } from '@/client/types.gen';

export * as api from '@/client/sdk.gen';
export type * from '@/client/types.gen';

/** What a failed call throws: the HTTP status and the server's message. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    super(errorMessage(status, body));
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }

  /** 422 field errors keyed by their path below `body`/`query` (`measurements.2`, `rules.0.params.k`). */
  get fieldErrors(): Record<string, string> {
    return fieldErrors(this.body);
  }
}

function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === 'object' && 'detail' in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail)) {
      return (detail as ValidationError[])
        .map((e) => `${e.loc.filter((p) => p !== 'body').join('.')}: ${e.msg}`)
        .join('; ');
    }
    if (detail && typeof detail === 'object' && 'message' in detail) {
      return String((detail as { message: unknown }).message);
    }
  }
  if (status === 0) return 'The server cannot be reached';
  return `Request failed (HTTP ${status})`;
}

export function fieldErrors(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object' || !('detail' in body)) return out;
  const detail = (body as { detail: unknown }).detail;
  if (!Array.isArray(detail)) return out;
  for (const e of detail as ValidationError[]) {
    const path = e.loc.slice(e.loc[0] === 'body' || e.loc[0] === 'query' ? 1 : 0).join('.');
    const msg = e.msg.replace(/^Value error, /, '');
    out[path] = out[path] ? `${out[path]}; ${msg}` : msg;
  }
  return out;
}

type Result<T> = { data?: T; error?: unknown; response?: Response };

/** The data of a generated-SDK call, or an ApiError carrying the status and body. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response?.ok) {
    throw new ApiError(response?.status ?? 0, error);
  }
  return data as T;
}

export interface TokenSource {
  /** A valid access token (refreshed first when about to expire), or null when logged out. */
  accessToken(): Promise<string | null>;
  /** Refresh after the server refused the token; false when the session is over. */
  refresh(): Promise<boolean>;
}

const NO_AUTH = /\/api\/v1\/auth\/(login|refresh)$/;

export function authFetch(tokens: TokenSource, base: typeof fetch = (...a) => globalThis.fetch(...a)) {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (NO_AUTH.test(new URL(request.url).pathname)) return base(request);
    const retry = request.clone();
    const send = async (req: Request) => {
      const token = await tokens.accessToken();
      if (token) req.headers.set('Authorization', `Bearer ${token}`);
      return base(req);
    };
    const response = await send(request);
    if (response.status === 401 && (await tokens.refresh())) return send(retry);
    return response;
  };
}

export function configureClient(tokens: TokenSource, baseUrl = window.location.origin) {
  client.setConfig({ baseUrl, fetch: authFetch(tokens) });
}
