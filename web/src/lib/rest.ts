// The one way the admin console and the softphone's settings talk to the REST API (same origin,
// cookie session, X-CSRF-Token on changes), and the defensive readers every document goes
// through. Errors become ApiError with the problem document's detail and `field`, so a form can
// show the message beside the input at fault.

import { ApiError, readProblem, request, type Session } from './api';

export type Bag = Record<string, unknown>;

/** The value as an object, or null for anything else (arrays included). */
export const bag = (value: unknown): Bag | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Bag) : null;

export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A non-negative whole number, 0 for anything else. */
export const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;

export const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((m): m is string => typeof m === 'string') : [];

async function failure(response: Response): Promise<ApiError> {
  const problem = await readProblem(response);
  const message = problem?.detail || problem?.title || `The server answered HTTP ${response.status}.`;
  return new ApiError(message, response.status, typeof problem?.field === 'string' ? problem.field : null);
}

/** GET (session null) or a change (with the session's CSRF token); the JSON answer, null for 204. */
export async function call(session: Session | null, method: string, path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (session && method !== 'GET') headers['X-CSRF-Token'] = session.csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

export const getJson = (path: string): Promise<unknown> => call(null, 'GET', path);
