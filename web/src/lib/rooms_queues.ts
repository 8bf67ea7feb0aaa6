// Conference rooms, call queues and call recordings in the admin console: the API's documents
// read defensively (pure, unit-tested) and the REST calls that change them (docs/api.md).

import type { Session } from './api';
import { bag, call, count, strings, text } from './rest';
import { readPage, tenantPath } from './admin';

export interface ConferenceRoom {
  number: string;
  name: string;
  hasPin: boolean;
  hasModeratorPin: boolean;
  maxParticipants: number;
}

export const QUEUE_STRATEGIES = ['ring-all', 'round-robin', 'longest-idle'] as const;
export type QueueStrategy = (typeof QUEUE_STRATEGIES)[number];

export interface CallQueue {
  number: string;
  name: string;
  strategy: QueueStrategy;
  ringTimeoutSeconds: number;
  wrapUpSeconds: number;
  maxWaitSeconds: number;
  maxCallers: number;
  /** "hangup", "voicemail:1001" or a number of the tenant. */
  fallback: string;
  members: string[];
}

export interface Recording {
  id: number;
  caller: string;
  callee: string;
  startedMs: number;
  durationMs: number;
  sizeBytes: number;
  /** "ogg" (Opus) or "wav": the download's file extension follows it. */
  format: 'wav' | 'ogg';
  audioUrl: string;
}


export function readConferenceRoom(raw: unknown): ConferenceRoom | null {
  const b = bag(raw);
  if (!b || typeof b.number !== 'string' || b.number === '') return null;
  return {
    number: b.number,
    name: text(b.name),
    hasPin: b.has_pin === true,
    hasModeratorPin: b.has_moderator_pin === true,
    maxParticipants: count(b.max_participants),
  };
}

export function readCallQueue(raw: unknown): CallQueue | null {
  const b = bag(raw);
  if (!b || typeof b.number !== 'string' || b.number === '') return null;
  const strategy = (QUEUE_STRATEGIES as readonly unknown[]).includes(b.strategy) ? (b.strategy as QueueStrategy) : 'ring-all';
  return {
    number: b.number,
    name: text(b.name),
    strategy,
    ringTimeoutSeconds: count(b.ring_timeout_seconds),
    wrapUpSeconds: count(b.wrap_up_seconds),
    maxWaitSeconds: count(b.max_wait_seconds),
    maxCallers: count(b.max_callers),
    fallback: text(b.fallback) || 'hangup',
    members: strings(b.members),
  };
}

/** Only a link the API made for this tenant's recordings is played: never an outside URL. */
export function readRecording(raw: unknown): Recording | null {
  const b = bag(raw);
  if (!b || typeof b.id !== 'number' || !Number.isInteger(b.id) || b.id <= 0) return null;
  const url = text(b.audio_url);
  if (!/^\/api\/v1\/tenants\/[^/]+\/recordings\/\d+\/audio$/.test(url)) return null;
  return {
    id: b.id,
    caller: text(b.caller),
    callee: text(b.callee),
    startedMs: count(b.started_ms),
    durationMs: count(b.duration_ms),
    sizeBytes: count(b.size_bytes),
    format: b.format === 'ogg' ? 'ogg' : 'wav',
    audioUrl: url,
  };
}

/** The link that saves a recording (Content-Disposition: attachment) and the file's name. */
export function recordingDownload(recording: Recording): { href: string; name: string } {
  return {
    href: `${recording.audioUrl}?download=1`,
    name: `recording-${recording.id}.${recording.format === 'ogg' ? 'opus' : 'wav'}`,
  };
}

export const STRATEGY_LABELS: Record<QueueStrategy, string> = {
  'ring-all': 'All members at once',
  'round-robin': 'Each member in turn',
  'longest-idle': 'Longest idle member first',
};

/** "0:07", "12:05", "1:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round((Number.isFinite(ms) ? ms : 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "980 B", "31.3 KB", "4.2 MB" (decimal units, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1000) return `${Math.max(0, Math.floor(bytes || 0))} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} KB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A whole number typed into a form, or null when the text is empty; NaN when it is not one. */
export function wholeNumber(input: string): number | null {
  const trimmed = input.trim();
  if (trimmed === '') return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

// --- REST calls --------------------------------------------------------------------------------

const roomsPath = (domain: string) => `${tenantPath(domain)}/conference-rooms`;
const queuesPath = (domain: string) => `${tenantPath(domain)}/queues`;

export async function listConferenceRooms(domain: string): Promise<ConferenceRoom[]> {
  return readPage(await call(null, 'GET', `${roomsPath(domain)}?limit=1000`), readConferenceRoom).items;
}

export interface NewConferenceRoom {
  number: string;
  name: string;
  pin: string;
  /** Callers who key this in join as moderators (they may mute and remove others). */
  moderatorPin: string;
  maxParticipants: number | null;
}

const PIN = /^\d{4,8}$/;

/**
 * What the room form can tell before asking the server, by field (the API's names), as the API
 * checks it: a number, PINs of 4 to 8 digits or none, a moderator PIN unlike the room PIN, a
 * whole number of participants. The server has the last word (numbers in use, the cap's range).
 */
export function conferenceRoomProblems(input: { number: string; pin: string; moderatorPin: string; cap: string }):
Record<string, string> {
  const problems: Record<string, string> = {};
  const pin = input.pin.trim();
  const moderatorPin = input.moderatorPin.trim();
  if (input.number.trim() === '') problems.number = 'Enter the room number.';
  if (pin !== '' && !PIN.test(pin)) problems.pin = 'A PIN is 4 to 8 digits, or leave it empty.';
  if (moderatorPin !== '' && !PIN.test(moderatorPin)) {
    problems.moderator_pin = 'A moderator PIN is 4 to 8 digits, or leave it empty.';
  } else if (moderatorPin !== '' && moderatorPin === pin) {
    problems.moderator_pin = 'The moderator PIN must differ from the room PIN.';
  }
  if (Number.isNaN(wholeNumber(input.cap))) problems.max_participants = 'Enter a whole number, 2 to 128.';
  return problems;
}

/** The API body that creates `input` (empty optional fields left out). */
export function conferenceRoomBody(input: NewConferenceRoom): Record<string, unknown> {
  const body: Record<string, unknown> = { number: input.number.trim() };
  if (input.name.trim()) body.name = input.name.trim();
  if (input.pin.trim()) body.pin = input.pin.trim();
  if (input.moderatorPin.trim()) body.moderator_pin = input.moderatorPin.trim();
  if (input.maxParticipants !== null) body.max_participants = input.maxParticipants;
  return body;
}

export async function createConferenceRoom(session: Session, domain: string, input: NewConferenceRoom): Promise<void> {
  await call(session, 'POST', roomsPath(domain), conferenceRoomBody(input));
}

/**
 * A change to an existing room as its edit form has it. The PINs are write-only, so the form
 * cannot show them: an empty PIN field keeps the current one, and `removePin` (or
 * `removeModeratorPin`) sends "" to take it away.
 */
export interface ConferenceRoomChange {
  name: string;
  pin: string;
  removePin: boolean;
  moderatorPin: string;
  removeModeratorPin: boolean;
  maxParticipants: number | null;
}

/**
 * What the edit form can tell before asking the server: PINs of 4 to 8 digits when typed (and
 * not typed while asking to remove it), a moderator PIN unlike a newly typed room PIN, a whole
 * number of participants. A clash with a kept PIN the page cannot see is the server's to refuse.
 */
export function conferenceRoomChangeProblems(input: {
  pin: string; removePin: boolean; moderatorPin: string; removeModeratorPin: boolean; cap: string;
}): Record<string, string> {
  const problems: Record<string, string> = {};
  const pin = input.pin.trim();
  const moderatorPin = input.moderatorPin.trim();
  if (input.removePin && pin !== '') problems.pin = 'Either type a new PIN or remove it, not both.';
  else if (pin !== '' && !PIN.test(pin)) problems.pin = 'A PIN is 4 to 8 digits; leave it empty to keep the current one.';
  if (input.removeModeratorPin && moderatorPin !== '') {
    problems.moderator_pin = 'Either type a new moderator PIN or remove it, not both.';
  } else if (moderatorPin !== '' && !PIN.test(moderatorPin)) {
    problems.moderator_pin = 'A moderator PIN is 4 to 8 digits; leave it empty to keep the current one.';
  } else if (moderatorPin !== '' && moderatorPin === pin) {
    problems.moderator_pin = 'The moderator PIN must differ from the room PIN.';
  }
  const cap = wholeNumber(input.cap);
  if (cap === null || Number.isNaN(cap)) problems.max_participants = 'Enter a whole number, 2 to 128.';
  return problems;
}

/** The PATCH body for `input`: the name and cap always, a PIN only when typed or removed. */
export function conferenceRoomChangeBody(input: ConferenceRoomChange): Record<string, unknown> {
  const body: Record<string, unknown> = { name: input.name.trim() };
  if (input.removePin) body.pin = '';
  else if (input.pin.trim()) body.pin = input.pin.trim();
  if (input.removeModeratorPin) body.moderator_pin = '';
  else if (input.moderatorPin.trim()) body.moderator_pin = input.moderatorPin.trim();
  if (input.maxParticipants !== null) body.max_participants = input.maxParticipants;
  return body;
}

/** Changes the room in place: the server applies the whole change or none of it. */
export async function changeConferenceRoom(
  session: Session, domain: string, number: string, input: ConferenceRoomChange,
): Promise<void> {
  await call(session, 'PATCH', `${roomsPath(domain)}/${encodeURIComponent(number)}`, conferenceRoomChangeBody(input));
}

export async function deleteConferenceRoom(session: Session, domain: string, number: string): Promise<void> {
  await call(session, 'DELETE', `${roomsPath(domain)}/${encodeURIComponent(number)}`);
}

export async function listCallQueues(domain: string): Promise<CallQueue[]> {
  return readPage(await call(null, 'GET', `${queuesPath(domain)}?limit=1000`), readCallQueue).items;
}

/** The settings of a queue as a form has them; null leaves the server's default (or value). */
export interface CallQueueInput {
  name: string;
  strategy: QueueStrategy;
  ringTimeoutSeconds: number | null;
  wrapUpSeconds: number | null;
  maxWaitSeconds: number | null;
  maxCallers: number | null;
  fallback: string;
  members: string[];
}

/** The API body for `input` (POST adds the number). */
export function callQueueBody(input: CallQueueInput): Record<string, unknown> {
  const body: Record<string, unknown> = { name: input.name.trim(), strategy: input.strategy, members: input.members };
  if (input.ringTimeoutSeconds !== null) body.ring_timeout_seconds = input.ringTimeoutSeconds;
  if (input.wrapUpSeconds !== null) body.wrap_up_seconds = input.wrapUpSeconds;
  if (input.maxWaitSeconds !== null) body.max_wait_seconds = input.maxWaitSeconds;
  if (input.maxCallers !== null) body.max_callers = input.maxCallers;
  body.fallback = input.fallback.trim() || 'hangup';
  return body;
}

export async function createCallQueue(session: Session, domain: string, number: string, input: CallQueueInput): Promise<void> {
  await call(session, 'POST', queuesPath(domain), { number: number.trim(), ...callQueueBody(input) });
}

export async function changeCallQueue(session: Session, domain: string, number: string, input: CallQueueInput): Promise<void> {
  await call(session, 'PATCH', `${queuesPath(domain)}/${encodeURIComponent(number)}`, callQueueBody(input));
}

export async function deleteCallQueue(session: Session, domain: string, number: string): Promise<void> {
  await call(session, 'DELETE', `${queuesPath(domain)}/${encodeURIComponent(number)}`);
}

export async function listRecordings(domain: string, extension: string): Promise<Recording[]> {
  const query = new URLSearchParams({ limit: '200' });
  if (extension.trim()) query.set('extension', extension.trim());
  return readPage(await call(null, 'GET', `${tenantPath(domain)}/recordings?${query.toString()}`), readRecording).items;
}
