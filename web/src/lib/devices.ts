// Devices (phones assigned to extensions) in the admin console, with the live registrations the
// server matched to each (decision 0038): the API's documents read defensively (pure,
// unit-tested), the form's checks as the API makes them, and the REST calls.

import type { Session } from './api';
import { bag, call, text } from './rest';
import { readPage, readRegistration, tenantPath, type Page, type Registration } from './admin';

export interface Device {
  id: number;
  extension: string;
  label: string;
  /** 12 lower-case hex digits, or empty. */
  mac: string;
  /** "urn:uuid:…", or empty. */
  instance: string;
  model: string;
  registrations: Registration[];
}

export interface DeviceInput {
  extension: string;
  label: string;
  mac: string;
  instance: string;
  model: string;
}

export function readDevice(raw: unknown): Device | null {
  const b = bag(raw);
  if (!b || typeof b.id !== 'number' || !Number.isInteger(b.id) || b.id <= 0) return null;
  const registrations = Array.isArray(b.registrations) ? b.registrations : [];
  return {
    id: b.id,
    extension: text(b.extension),
    label: text(b.label),
    mac: text(b.mac),
    instance: text(b.instance),
    model: text(b.model),
    registrations: registrations.map(readRegistration).filter((r): r is Registration => r !== null),
  };
}

/** "00:15:65:aa:bb:cc" for display; other text as it is. */
export function formatMac(mac: string): string {
  return /^[0-9a-f]{12}$/.test(mac) ? (mac.match(/../g) ?? []).join(':') : mac;
}

const MAC = /^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$|^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/;
const URN = /^<?urn:[^\s<>]{1,124}>?$/i;

/**
 * What the device form can tell before asking the server, by field (the API's names): an
 * extension number, a label of 1 to 64 characters, a MAC address or an instance URN (or both) in
 * a form the API reads, a model of at most 64. The server has the last word (the extension
 * exists, the MAC and URN are not another device's).
 */
export function deviceProblems(input: DeviceInput): Record<string, string> {
  const problems: Record<string, string> = {};
  const mac = input.mac.trim();
  const instance = input.instance.trim();
  if (!/^\d{2,15}$/.test(input.extension.trim())) problems.extension = 'Enter the extension number (2 to 15 digits).';
  const label = input.label.trim();
  if (label === '' || label.length > 64) problems.label = 'Enter a label of 1 to 64 characters.';
  if (mac !== '' && !MAC.test(mac)) problems.mac = 'A MAC address is 12 hex digits, such as 00:15:65:aa:bb:cc.';
  if (instance !== '' && !URN.test(instance)) problems.instance = 'An instance is a URN such as urn:uuid:….';
  if (mac === '' && instance === '' && !problems.mac) {
    problems.mac = 'Enter the MAC address, the instance URN or both, so the phone can be recognised.';
  }
  if (input.model.trim().length > 64) problems.model = 'A model is at most 64 characters.';
  return problems;
}

/** The API body that creates `input` (empty optional fields left out). */
export function deviceBody(input: DeviceInput): Record<string, unknown> {
  const body: Record<string, unknown> = { extension: input.extension.trim(), label: input.label.trim() };
  if (input.mac.trim()) body.mac = input.mac.trim();
  if (input.instance.trim()) body.instance = input.instance.trim();
  if (input.model.trim()) body.model = input.model.trim();
  return body;
}

/** The API body that changes a device to `input`: every field, so an emptied one is cleared. */
export function deviceChangeBody(input: DeviceInput): Record<string, string> {
  return {
    extension: input.extension.trim(), label: input.label.trim(), mac: input.mac.trim(),
    instance: input.instance.trim(), model: input.model.trim(),
  };
}

/** The edit form's starting values for `device`. */
export function deviceInputOf(device: Device): DeviceInput {
  return {
    extension: device.extension, label: device.label, mac: device.mac ? formatMac(device.mac) : '',
    instance: device.instance, model: device.model,
  };
}

const devicesPath = (domain: string) => `${tenantPath(domain)}/devices`;

export async function devicesPage(domain: string, cursor: string | null): Promise<Page<Device>> {
  const query = new URLSearchParams({ limit: '100' });
  if (cursor) query.set('cursor', cursor);
  return readPage(await call(null, 'GET', `${devicesPath(domain)}?${query.toString()}`), readDevice);
}

export async function createDevice(session: Session, domain: string, input: DeviceInput): Promise<void> {
  await call(session, 'POST', devicesPath(domain), deviceBody(input));
}

export async function changeDevice(session: Session, domain: string, id: number, input: DeviceInput): Promise<void> {
  await call(session, 'PATCH', `${devicesPath(domain)}/${id}`, deviceChangeBody(input));
}

export async function deleteDevice(session: Session, domain: string, id: number): Promise<void> {
  await call(session, 'DELETE', `${devicesPath(domain)}/${id}`);
}


