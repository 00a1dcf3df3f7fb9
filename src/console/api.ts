// The admin API client: JSON in and out, the session's CSRF token on every change, problem
// documents turned into ApiError (whose message is the problem's `detail`, written for people),
// and a 401 on any call reported once so the console can go back to its log-in form.

export const API = '/api/v1';
const TIMEOUT_MS = 120_000;

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail: string;
  code: string;
  errors?: Array<{ path: string; message: string }>;
}

export class ApiError extends Error {
  constructor(
    readonly problem: Problem,
    /** Seconds from a Retry-After header (a throttled log-in). */
    readonly retryAfter?: number,
  ) {
    super(problem.detail);
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }
}

/** One page of a listing, as `Api.page` reads it. */
export interface ListPage<T> {
  items: T[];
  total: number;
  next: string | null;
}

export interface FileAnswer {
  blob: Blob;
  fileName: string;
}

export class Api {
  csrfToken: string | undefined;
  /** Called when a signed-in call is answered 401: the session has ended. */
  onSignedOut: (message: string) => void = () => {};

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /**
   * One page of a listing (GET with limit, cursor, name…): its rows, how many match in all
   * (X-Total-Count) and the next page's cursor (X-Next-Cursor; null on the last page).
   */
  async page<T>(path: string): Promise<ListPage<T>> {
    const response = await this.send('GET', path);
    const items = (await response.json()) as T[];
    const total = Number(response.headers.get('x-total-count'));
    return { items, total: Number.isFinite(total) && response.headers.has('x-total-count') ? total : items.length, next: response.headers.get('x-next-cursor') };
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.json<T>('DELETE', path);
  }

  /** A file answer (CSR, PFX, PEM) with the name from its Content-Disposition, else `fallbackName`. */
  async file(method: string, path: string, body: unknown, fallbackName: string): Promise<FileAnswer> {
    const response = await this.send(method, path, body);
    const disposition = response.headers.get('content-disposition') ?? '';
    const m = /filename="([^"]+)"/.exec(disposition);
    return { blob: await response.blob(), fileName: m?.[1] ?? fallbackName };
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('json')) return (await response.text()) as unknown as T;
    return (await response.json()) as T;
  }

  async send(method: string, path: string, body?: unknown): Promise<Response> {
    // Messages and warnings worded for the console (its buttons and fields), not for the API (its fields).
    const headers: Record<string, string> = { accept: 'application/json', 'x-gatehouse-wording': 'console' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrfToken !== undefined) headers['x-csrf-token'] = this.csrfToken;
    let response: Response;
    try {
      response = await fetch(`${API}${path}`, {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      const timedOut = e instanceof DOMException && e.name === 'TimeoutError';
      throw new ApiError({
        status: 0,
        code: timedOut ? 'CONSOLE_TIMEOUT' : 'CONSOLE_UNREACHABLE',
        detail: timedOut
          ? `Gatehouse did not answer within ${TIMEOUT_MS / 1000} seconds. The change may still complete: refresh the page to see.`
          : 'Gatehouse could not be reached. Check that "gatehouse serve" is running, then try again.',
      });
    }
    if (response.ok) return response;
    const error = await problemOf(response);
    const isLogIn = method === 'POST' && path === '/session';
    if (response.status === 401 && !isLogIn) this.onSignedOut(error.message);
    throw error;
  }
}

async function problemOf(response: Response): Promise<ApiError> {
  const retry = Number(response.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  const text = await response.text();
  let problem: Problem | undefined;
  try {
    const p = JSON.parse(text) as Partial<Problem>;
    if (typeof p.detail === 'string') problem = { ...p, status: response.status, detail: p.detail, code: p.code ?? `HTTP_${response.status}` };
  } catch {
    problem = undefined;
  }
  problem ??= { status: response.status, code: `HTTP_${response.status}`, detail: text.trim() || `Gatehouse answered ${response.status} ${response.statusText}.` };
  return new ApiError(problem, retryAfter);
}

/** Something the user must fix in a form before anything is sent (the field is focused). */
export class InputProblem extends Error {
  constructor(message: string, readonly control?: HTMLElement) {
    super(message);
  }
}

/** The message to show for anything a call threw. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError || e instanceof InputProblem) return e.message;
  if (e instanceof Error) return `Something went wrong in the console: ${e.message}`;
  return String(e);
}
