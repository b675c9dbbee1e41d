// Test helpers: the app's providers around a component, and a fetch that answers like the
// server (routes by "METHOD /path"; the generated client calls fetch with a Request).
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { vi } from 'vitest';
import { StaticSessionProvider, type User } from '@/lib/session';

export function renderWith(ui: ReactElement, { user = { username: 'op', role: 'operator' } as User | null, route = '/' } = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
  const result = render(
    <QueryClientProvider client={client}>
      <StaticSessionProvider user={user}>
        <MemoryRouter initialEntries={[route]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>{ui}</MemoryRouter>
      </StaticSessionProvider>
    </QueryClientProvider>,
  );
  return { ...result, client };
}

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Handler = (call: Call) => unknown | Response;

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** Stub fetch with handlers keyed "METHOD /api/v1/path" (path params as the literal ids). */
export function mockApi(routes: Record<string, Handler>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const text = request.method === 'GET' ? '' : await request.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const call = { method: request.method, path: url.pathname, query: url.searchParams, body };
    calls.push(call);
    const handler = routes[`${request.method} ${url.pathname}`];
    if (!handler) return json(404, { detail: `no mock for ${request.method} ${url.pathname}` });
    const out = handler(call);
    return out instanceof Response ? out : json(request.method === 'POST' ? 201 : 200, out);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}
