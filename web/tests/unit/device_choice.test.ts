import { describe, expect, it } from 'vitest';
import {
  DEVICE_CHOICE_KEY, loadDeviceChoice, presentOrDefault, saveDeviceChoice,
} from '../../src/lib/device_choice';

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    items,
  };
}

describe('device choice', () => {
  it('round-trips through storage', () => {
    const storage = memoryStorage();
    saveDeviceChoice(storage, { microphone: 'mic-2', speaker: 'spk-1' });
    expect(loadDeviceChoice(storage)).toEqual({ microphone: 'mic-2', speaker: 'spk-1' });
  });
  it('is the system default when nothing, garbage or the wrong shape is stored', () => {
    const none = { microphone: '', speaker: '' };
    expect(loadDeviceChoice(null)).toEqual(none);
    expect(loadDeviceChoice(memoryStorage())).toEqual(none);
    expect(loadDeviceChoice(memoryStorage({ [DEVICE_CHOICE_KEY]: '{not json' }))).toEqual(none);
    expect(loadDeviceChoice(memoryStorage({ [DEVICE_CHOICE_KEY]: '"mic"' }))).toEqual(none);
    expect(loadDeviceChoice(memoryStorage({ [DEVICE_CHOICE_KEY]: 'null' }))).toEqual(none);
    expect(loadDeviceChoice(memoryStorage({ [DEVICE_CHOICE_KEY]: '{"microphone":7,"speaker":"s"}' })))
      .toEqual({ microphone: '', speaker: 's' });
  });
  it('survives a storage that throws', () => {
    const blocked = {
      getItem: () => { throw new Error('SecurityError'); },
      setItem: () => { throw new Error('QuotaExceededError'); },
    };
    expect(loadDeviceChoice(blocked)).toEqual({ microphone: '', speaker: '' });
    expect(() => saveDeviceChoice(blocked, { microphone: 'm', speaker: '' })).not.toThrow();
  });
  it('falls back to the default for a device that is gone', () => {
    const devices = [{ deviceId: 'a' }, { deviceId: 'b' }];
    expect(presentOrDefault('b', devices)).toBe('b');
    expect(presentOrDefault('gone', devices)).toBe('');
    expect(presentOrDefault('', devices)).toBe('');
  });
});
