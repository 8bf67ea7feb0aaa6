// The REST API the softphone uses (same origin, cookie session, CSRF token on changes).

import { signInError, type Problem } from './errors';
import { normalizeCallRecords, normalizeDirectory, type CallRecord, type Contact } from './call_records';

export interface Session {
  role: string;
  username: string;
  tenant: string;
  extension: string;
  csrfToken: string;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The problem document's `field`: which input the message is about, when the API said. */
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

export async function readProblem(response: Response): Promise<Problem | null> {
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null ? (body as Problem) : null;
  } catch {
    return null;
  }
}

function toSession(body: unknown): Session {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const s = (name: string) => (typeof b[name] === 'string' ? (b[name] as string) : '');
  return {
    role: s('role'),
    username: s('username'),
    tenant: s('tenant'),
    extension: s('extension'),
    csrfToken: s('csrf_token'),
  };
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(path, { credentials: 'same-origin', ...init });
  } catch {
    throw new ApiError(signInError(0, null), 0);
  }
}

export async function signIn(
  username: string,
  password: string,
  explain: (status: number, problem: Problem | null) => string = signInError,
): Promise<Session> {
  const response = await request('/api/v1/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) {
    throw new ApiError(explain(response.status, await readProblem(response)), response.status);
  }
  return toSession(await response.json());
}

/** The signed-in user, or null when the cookie is missing or expired. */
export async function currentSession(): Promise<Session | null> {
  const response = await request('/api/v1/session', { headers: { Accept: 'application/json' } });
  if (!response.ok) return null;
  return toSession(await response.json());
}

export async function signOut(session: Session): Promise<void> {
  await request('/api/v1/session', {
    method: 'DELETE',
    headers: { 'X-CSRF-Token': session.csrfToken },
  });
}

async function getJson(path: string): Promise<unknown> {
  const response = await request(path, { headers: { Accept: 'application/json' } });
  if (!response.ok) {
    const problem = await readProblem(response);
    throw new ApiError(problem?.detail || problem?.title || `HTTP ${response.status}`, response.status);
  }
  return response.json();
}

export async function directory(): Promise<Contact[]> {
  return normalizeDirectory(await getJson('/api/v1/directory'));
}

export async function callRecords(): Promise<CallRecord[]> {
  return normalizeCallRecords(await getJson('/api/v1/me/call-records'));
}
