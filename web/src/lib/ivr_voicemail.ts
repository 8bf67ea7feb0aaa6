// IVR menus, schedules and voicemail boxes in the admin console: the API's documents read
// defensively (pure, unit-tested) and the REST calls that change them (docs/api.md).

import type { Session } from './api';
import { readPage, tenantPath, type Page } from './admin';
import { bag, call, count, text } from './rest';

export const IVR_DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'] as const;

export interface IvrMenu {
  name: string;
  number: string;
  greetingText: string;
  hasGreetingFile: boolean;
  timeoutSeconds: number;
  maxAttempts: number;
  fallback: string;
  directDial: boolean;
  /** Digit → destination, in keypad order. */
  options: [string, string][];
}

export interface Schedule {
  name: string;
  number: string;
  timeZone: string;
  hours: string;
  holidays: string;
  openDestination: string;
  closedDestination: string;
}

export interface VoicemailBox {
  box: string;
  displayName: string;
  enabled: boolean;
  hasPin: boolean;
  maxMessages: number;
  newMessages: number;
  savedMessages: number;
}

export interface VoicemailMessage {
  id: number;
  caller: string;
  receivedMs: number;
  durationMs: number;
  state: 'new' | 'saved';
  audioUrl: string;
}

export function readIvrMenu(raw: unknown): IvrMenu | null {
  const b = bag(raw);
  if (!b || typeof b.name !== 'string' || b.name === '') return null;
  const options = bag(b.options) ?? {};
  return {
    name: b.name,
    number: text(b.number),
    greetingText: text(b.greeting_text),
    hasGreetingFile: b.has_greeting_file === true,
    timeoutSeconds: count(b.timeout_seconds),
    maxAttempts: count(b.max_attempts),
    fallback: text(b.fallback) || 'hangup',
    directDial: b.direct_dial === true,
    options: IVR_DIGITS.filter((d) => typeof options[d] === 'string').map((d) => [d, options[d] as string]),
  };
}

export function readSchedule(raw: unknown): Schedule | null {
  const b = bag(raw);
  if (!b || typeof b.name !== 'string' || b.name === '') return null;
  return {
    name: b.name,
    number: text(b.number),
    timeZone: text(b.time_zone),
    hours: text(b.hours),
    holidays: text(b.holidays),
    openDestination: text(b.open_destination),
    closedDestination: text(b.closed_destination),
  };
}

export function readVoicemailBox(raw: unknown): VoicemailBox | null {
  const b = bag(raw);
  if (!b || typeof b.box !== 'string' || b.box === '') return null;
  return {
    box: b.box,
    displayName: text(b.display_name),
    enabled: b.enabled !== false,
    hasPin: b.has_pin === true,
    maxMessages: count(b.max_messages),
    newMessages: count(b.new_messages),
    savedMessages: count(b.saved_messages),
  };
}

/** Only a link the API made for this box's messages is played: never an outside URL. */
export function readVoicemailMessage(raw: unknown): VoicemailMessage | null {
  const b = bag(raw);
  if (!b || typeof b.id !== 'number' || !Number.isInteger(b.id) || b.id <= 0) return null;
  const url = text(b.audio_url);
  if (!/^\/api\/v1\/tenants\/[^/]+\/voicemail-boxes\/\d+\/messages\/\d+\/audio$/.test(url)) return null;
  return {
    id: b.id,
    caller: text(b.caller),
    receivedMs: count(b.received_ms),
    durationMs: count(b.duration_ms),
    state: b.state === 'saved' ? 'saved' : 'new',
    audioUrl: url,
  };
}

/** "1=1001, 2=menu:sales" → [["1","1001"],["2","menu:sales"]]; null when a part is not DIGIT=DEST. */
export function parseOptions(input: string): [string, string][] | null {
  const parts = input.split(/[,;\n]+/).map((p) => p.trim()).filter(Boolean);
  const out: [string, string][] = [];
  for (const part of parts) {
    const match = /^([0-9*#])\s*=\s*(\S+)$/.exec(part);
    if (!match) return null;
    out.push([match[1], match[2]]);
  }
  return out;
}

export function formatOptions(options: [string, string][]): string {
  return options.map(([digit, destination]) => `${digit}=${destination}`).join(', ');
}

// --- REST calls --------------------------------------------------------------------------------

const ivrsPath = (domain: string) => `${tenantPath(domain)}/ivrs`;
const schedulesPath = (domain: string) => `${tenantPath(domain)}/schedules`;
const boxesPath = (domain: string) => `${tenantPath(domain)}/voicemail-boxes`;
const pageQuery = (cursor: string | null) => (cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100');

export async function listIvrMenus(domain: string, cursor: string | null): Promise<Page<IvrMenu>> {
  return readPage(await call(null, 'GET', `${ivrsPath(domain)}${pageQuery(cursor)}`), readIvrMenu);
}

export interface IvrMenuInput {
  number: string;
  greetingText: string;
  timeoutSeconds: number | null;
  maxAttempts: number | null;
  fallback: string;
  directDial: boolean;
  options: [string, string][];
}

export function ivrMenuBody(input: IvrMenuInput): Record<string, unknown> {
  const body: Record<string, unknown> = {
    number: input.number.trim(),
    greeting_text: input.greetingText,
    fallback: input.fallback.trim() || 'hangup',
    direct_dial: input.directDial,
    options: Object.fromEntries(input.options),
  };
  if (input.timeoutSeconds !== null) body.timeout_seconds = input.timeoutSeconds;
  if (input.maxAttempts !== null) body.max_attempts = input.maxAttempts;
  return body;
}

export async function saveIvrMenu(session: Session, domain: string, name: string, input: IvrMenuInput, isNew: boolean): Promise<void> {
  if (isNew) await call(session, 'POST', ivrsPath(domain), { name: name.trim(), ...ivrMenuBody(input) });
  else await call(session, 'PATCH', `${ivrsPath(domain)}/${encodeURIComponent(name)}`, ivrMenuBody(input));
}

export async function deleteIvrMenu(session: Session, domain: string, name: string): Promise<void> {
  await call(session, 'DELETE', `${ivrsPath(domain)}/${encodeURIComponent(name)}`);
}

export async function listSchedules(domain: string, cursor: string | null): Promise<Page<Schedule>> {
  return readPage(await call(null, 'GET', `${schedulesPath(domain)}${pageQuery(cursor)}`), readSchedule);
}

export function scheduleBody(input: Omit<Schedule, 'name'>): Record<string, unknown> {
  return {
    number: input.number.trim(),
    time_zone: input.timeZone.trim(),
    hours: input.hours.trim(),
    holidays: input.holidays.trim(),
    open_destination: input.openDestination.trim(),
    closed_destination: input.closedDestination.trim(),
  };
}

export async function saveSchedule(session: Session, domain: string, schedule: Schedule, isNew: boolean): Promise<void> {
  if (isNew) await call(session, 'POST', schedulesPath(domain), { name: schedule.name.trim(), ...scheduleBody(schedule) });
  else await call(session, 'PATCH', `${schedulesPath(domain)}/${encodeURIComponent(schedule.name)}`, scheduleBody(schedule));
}

export async function deleteSchedule(session: Session, domain: string, name: string): Promise<void> {
  await call(session, 'DELETE', `${schedulesPath(domain)}/${encodeURIComponent(name)}`);
}

export async function listVoicemailBoxes(domain: string, cursor: string | null): Promise<Page<VoicemailBox>> {
  return readPage(await call(null, 'GET', `${boxesPath(domain)}${pageQuery(cursor)}`), readVoicemailBox);
}

export interface VoicemailBoxChange {
  enabled?: boolean;
  maxMessages?: number;
  /** Empty removes the PIN. */
  pin?: string;
}

export async function changeVoicemailBox(session: Session, domain: string, box: string, change: VoicemailBoxChange): Promise<void> {
  const body: Record<string, unknown> = {};
  if (change.enabled !== undefined) body.enabled = change.enabled;
  if (change.maxMessages !== undefined) body.max_messages = change.maxMessages;
  if (change.pin !== undefined) body.pin = change.pin;
  await call(session, 'PATCH', `${boxesPath(domain)}/${encodeURIComponent(box)}`, body);
}

export async function listVoicemailMessages(domain: string, box: string): Promise<VoicemailMessage[]> {
  return readPage(await call(null, 'GET', `${boxesPath(domain)}/${encodeURIComponent(box)}/messages?limit=200`),
    readVoicemailMessage).items;
}

export async function deleteVoicemailMessage(session: Session, domain: string, box: string, id: number): Promise<void> {
  await call(session, 'DELETE', `${boxesPath(domain)}/${encodeURIComponent(box)}/messages/${id}`);
}
