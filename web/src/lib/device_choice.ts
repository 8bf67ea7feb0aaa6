// The microphone and speaker the person chose, kept in the browser's storage so a reload (or the
// next visit) uses them again. Pure apart from the Storage passed in, so it is tested in Node.

export interface DeviceChoice {
  /** A MediaDeviceInfo.deviceId, or '' for the system default. */
  microphone: string;
  speaker: string;
}

export const DEVICE_CHOICE_KEY = 'parley.audioDevices';
const NONE: DeviceChoice = { microphone: '', speaker: '' };

type Readable = Pick<Storage, 'getItem'>;
type Writable = Pick<Storage, 'setItem'>;

/** The saved choice; the default for anything missing, unreadable or of the wrong shape. */
export function loadDeviceChoice(storage: Readable | null): DeviceChoice {
  let text: string | null = null;
  try {
    text = storage?.getItem(DEVICE_CHOICE_KEY) ?? null;
  } catch {
    return NONE; // storage blocked by the browser's settings
  }
  if (!text) return NONE;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return NONE;
    const record = value as Record<string, unknown>;
    return {
      microphone: typeof record.microphone === 'string' ? record.microphone : '',
      speaker: typeof record.speaker === 'string' ? record.speaker : '',
    };
  } catch {
    return NONE;
  }
}

/** Saves the choice; a full or blocked storage only means it is not remembered. */
export function saveDeviceChoice(storage: Writable | null, choice: DeviceChoice): void {
  try {
    storage?.setItem(DEVICE_CHOICE_KEY, JSON.stringify(choice));
  } catch {
    // not remembered: the choice still applies to this visit
  }
}

/** `id` when one of `devices` has it, else '' (the system default): an unplugged device. */
export function presentOrDefault(id: string, devices: ReadonlyArray<{ deviceId: string }>): string {
  return id !== '' && devices.some((d) => d.deviceId === id) ? id : '';
}

/** The browser's localStorage, or null where reading it throws (storage disabled). */
export function browserStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
