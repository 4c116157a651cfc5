/** The only way the web application talks to the server: the public /api/v1, a bearer token, problem+json errors. */

const TOKEN_KEY = 'smarthydro.token';

export function storedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}
export function storeToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** An answer other than 2xx, carrying the problem's code and detail (what a person can act on). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly problem?: Record<string, unknown>,
  ) {
    super(detail);
  }
  /** The route does not exist on this server (yet): screens show "no data" rather than fail. */
  get isMissingRoute(): boolean {
    return this.status === 404 && this.code === 'ROUTE_NOT_FOUND';
  }
}

/** Listeners told when the server refuses the session (expired or logged out elsewhere). */
const sessionEnded = new Set<() => void>();
export function onSessionEnded(fn: () => void): () => void {
  sessionEnded.add(fn);
  return () => sessionEnded.delete(fn);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
  accept?: string;
}

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const q = qs.toString();
  return `/api/v1${path}${q ? `?${q}` : ''}`;
}

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
  const token = storedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(apiUrl(path, opts.query), {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
  if (res.ok) return res;
  let problem: Record<string, unknown> | undefined;
  try {
    problem = (await res.json()) as Record<string, unknown>;
  } catch {
    problem = undefined;
  }
  const code = typeof problem?.code === 'string' ? problem.code : `HTTP_${res.status}`;
  const detail = typeof problem?.detail === 'string' ? problem.detail : res.statusText;
  if (res.status === 401 && token) for (const fn of sessionEnded) fn();
  throw new ApiError(res.status, code, detail, problem);
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Downloads an answer (a CSV export, a PDF) as a file: the token goes in a header, so a plain link cannot do it. */
export async function download(path: string, query: RequestOptions['query'], fallbackName: string, accept = 'text/csv'): Promise<void> {
  const res = await send(path, { query, accept });
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Every page of a `{items, total}` list (limit at most 1000 per request). */
export async function allPages<T>(path: string, query: RequestOptions['query'] = {}, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const page = await api<{ items: T[]; total: number }>(path, { query: { ...query, limit: 1000, offset: out.length }, signal });
    out.push(...page.items);
    if (page.items.length === 0 || out.length >= page.total) return out;
  }
}
