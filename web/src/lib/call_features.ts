// Ring groups, forwarding and do-not-disturb in the admin console: the API's documents read
// defensively (pure, unit-tested) and the REST calls that change them (docs/api.md).

import type { Session } from './api';
import { bag, call, strings, text } from './rest';
import { readPage, tenantPath } from './admin';

export type RingStrategy = 'ring-all' | 'hunt';
export const FORWARD_CONDITIONS = ['always', 'busy', 'no-answer', 'unregistered'] as const;
export type ForwardCondition = (typeof FORWARD_CONDITIONS)[number];

export interface RingGroup {
  number: string;
  name: string;
  strategy: RingStrategy;
  memberTimeoutSeconds: number;
  members: string[];
  /** The API's text form: "hangup", "1001", "voicemail:1001", "+4930…". */
  finalDestination: string;
}

export interface Forward {
  condition: ForwardCondition;
  destination: string;
  noAnswerSeconds: number | null;
}

export interface CallFeatures {
  number: string;
  dnd: boolean;
  forwards: Forward[];
}


export function readRingGroup(raw: unknown): RingGroup | null {
  const b = bag(raw);
  if (!b || typeof b.number !== 'string' || b.number === '') return null;
  const timeout = typeof b.member_timeout_seconds === 'number' ? b.member_timeout_seconds : 0;
  return {
    number: b.number,
    name: text(b.name),
    strategy: b.strategy === 'hunt' ? 'hunt' : 'ring-all',
    memberTimeoutSeconds: Number.isFinite(timeout) ? timeout : 0,
    members: strings(b.members),
    finalDestination: text(b.final_destination) || 'hangup',
  };
}

export function readCallFeatures(raw: unknown): CallFeatures | null {
  const b = bag(raw);
  if (!b || typeof b.number !== 'string') return null;
  const forwards: Forward[] = [];
  for (const item of Array.isArray(b.forwards) ? b.forwards : []) {
    const f = bag(item);
    const condition = f && (FORWARD_CONDITIONS as readonly unknown[]).includes(f.condition)
      ? (f.condition as ForwardCondition) : null;
    if (!f || !condition || typeof f.destination !== 'string') continue;
    forwards.push({
      condition,
      destination: f.destination,
      noAnswerSeconds: typeof f.no_answer_seconds === 'number' ? f.no_answer_seconds : null,
    });
  }
  return { number: b.number, dnd: b.dnd === true, forwards };
}

/** "1002, 1003" or "1002 1003" → ["1002", "1003"] (order kept: the hunt order). */
export function parseMembers(input: string): string[] {
  return input.split(/[\s,;]+/).map((m) => m.trim()).filter(Boolean);
}

export const CONDITION_LABELS: Record<ForwardCondition, string> = {
  always: 'Always',
  busy: 'When busy',
  'no-answer': 'When not answered',
  unregistered: 'When not registered',
};

// --- REST calls --------------------------------------------------------------------------------

const groupsPath = (domain: string) => `${tenantPath(domain)}/ring-groups`;
const featuresPath = (domain: string, number: string) =>
  `${tenantPath(domain)}/extensions/${encodeURIComponent(number)}`;

export async function listRingGroups(domain: string): Promise<RingGroup[]> {
  return readPage(await call(null, 'GET', `${groupsPath(domain)}?limit=1000`), readRingGroup).items;
}

export interface NewRingGroup {
  number: string;
  name: string;
  strategy: RingStrategy;
  memberTimeoutSeconds: number | null;
  members: string[];
  finalDestination: string;
}

export async function createRingGroup(session: Session, domain: string, input: NewRingGroup): Promise<void> {
  const body: Record<string, unknown> = { number: input.number.trim(), strategy: input.strategy, members: input.members };
  if (input.name.trim()) body.name = input.name.trim();
  if (input.memberTimeoutSeconds !== null) body.member_timeout_seconds = input.memberTimeoutSeconds;
  if (input.finalDestination.trim()) body.final_destination = input.finalDestination.trim();
  await call(session, 'POST', groupsPath(domain), body);
}

/** The PATCH body that sets every setting of a group in place (the number stays). */
export function ringGroupChangeBody(input: Omit<NewRingGroup, 'number'>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: input.name.trim(), strategy: input.strategy, members: input.members,
    final_destination: input.finalDestination.trim() || 'hangup',
  };
  if (input.memberTimeoutSeconds !== null) body.member_timeout_seconds = input.memberTimeoutSeconds;
  return body;
}

/** Changes the group in place: the server applies the whole change or none of it. */
export async function changeRingGroup(
  session: Session, domain: string, number: string, input: Omit<NewRingGroup, 'number'>,
): Promise<void> {
  await call(session, 'PATCH', `${groupsPath(domain)}/${encodeURIComponent(number)}`, ringGroupChangeBody(input));
}

export async function setRingGroupMembers(session: Session, domain: string, number: string, members: string[]): Promise<void> {
  await call(session, 'PATCH', `${groupsPath(domain)}/${encodeURIComponent(number)}`, { members });
}

export async function deleteRingGroup(session: Session, domain: string, number: string): Promise<void> {
  await call(session, 'DELETE', `${groupsPath(domain)}/${encodeURIComponent(number)}`);
}

export async function getCallFeatures(domain: string, number: string): Promise<CallFeatures> {
  const read = readCallFeatures(await call(null, 'GET', `${featuresPath(domain, number)}/call-features`));
  if (!read) throw new Error('The server sent call features this page cannot read.');
  return read;
}

export async function setDoNotDisturb(session: Session, domain: string, number: string, dnd: boolean): Promise<void> {
  await call(session, 'PATCH', `${featuresPath(domain, number)}/call-features`, { dnd });
}

export async function setForward(
  session: Session, domain: string, number: string, condition: ForwardCondition,
  destination: string, noAnswerSeconds: number | null,
): Promise<void> {
  const body: Record<string, unknown> = { destination: destination.trim() };
  if (condition === 'no-answer' && noAnswerSeconds !== null) body.no_answer_seconds = noAnswerSeconds;
  await call(session, 'PUT', `${featuresPath(domain, number)}/forwards/${condition}`, body);
}

export async function clearForward(session: Session, domain: string, number: string, condition: ForwardCondition): Promise<void> {
  await call(session, 'DELETE', `${featuresPath(domain, number)}/forwards/${condition}`);
}
