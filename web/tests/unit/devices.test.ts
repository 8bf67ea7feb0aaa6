import { describe, expect, it } from 'vitest';
import { deviceBody, deviceChangeBody, deviceInputOf, deviceProblems, formatMac, readDevice } from '../../src/lib/devices';
import { adminPageOf } from '../../src/lib/admin';

describe('readDevice', () => {
  it('reads the API document with its live registrations', () => {
    expect(readDevice({
      id: 7, extension: '1001', label: 'Desk', mac: '001565aabbcc', instance: null, model: 'T46S', created_at: 1,
      url: '/api/v1/tenants/x/devices/7',
      registrations: [{ id: 'ab', extension: '1001', contact: 'sip:1001@192.0.2.7', transport: 'UDP',
        source: '192.0.2.7:5060', user_agent: 'Yealink', expires_in: 59.7 }, { contact: 'no extension' }],
    })).toEqual({
      id: 7, extension: '1001', label: 'Desk', mac: '001565aabbcc', instance: '', model: 'T46S',
      registrations: [{ id: 'ab', extension: '1001', contact: 'sip:1001@192.0.2.7', transport: 'UDP', source: '192.0.2.7:5060',
        userAgent: 'Yealink', expiresIn: 59 }],
    });
    expect(readDevice({ id: 8, registrations: 'none' })?.registrations).toEqual([]);
    for (const bad of [null, [], { id: 0 }, { id: '7' }, { id: 1.5 }]) expect(readDevice(bad)).toBeNull();
  });

  it('shows a stored MAC with colons', () => {
    expect(formatMac('001565aabbcc')).toBe('00:15:65:aa:bb:cc');
    expect(formatMac('')).toBe('');
  });

  it('is a page of the console', () => {
    expect(adminPageOf('#devices')).toBe('devices');
  });
});

describe('the device form', () => {
  const device = { extension: '1001', label: 'Desk', mac: '00:15:65:AA:BB:CC', instance: '', model: '' };

  it('accepts what the API accepts', () => {
    for (const mac of ['00:15:65:AA:BB:CC', '00-15-65-aa-bb-cc', '001565aabbcc', '0015.65aa.bbcc']) {
      expect(deviceProblems({ ...device, mac }), mac).toEqual({});
    }
    expect(deviceProblems({ ...device, mac: '', instance: '<urn:uuid:0f7a1c2e-0000-1000-8000-001565aabbcc>' })).toEqual({});
  });

  it('puts each problem beside its field', () => {
    expect(deviceProblems({ extension: '1x', label: ' ', mac: '00:15:65:aa:bb', instance: 'uuid:1', model: 'm'.repeat(65) }))
      .toEqual({
        extension: 'Enter the extension number (2 to 15 digits).',
        label: 'Enter a label of 1 to 64 characters.',
        mac: 'A MAC address is 12 hex digits, such as 00:15:65:aa:bb:cc.',
        instance: 'An instance is a URN such as urn:uuid:….',
        model: 'A model is at most 64 characters.',
      });
    expect(deviceProblems({ ...device, mac: '00:15-65:aa:bb:cc' }).mac).toMatch(/12 hex digits/);
    expect(deviceProblems({ ...device, mac: ' ', instance: '' }).mac).toMatch(/MAC address, the instance URN or both/);
  });

  it('sends only the fields given, trimmed', () => {
    expect(deviceBody({ extension: ' 1001 ', label: ' Desk ', mac: '', instance: '', model: '' }))
      .toEqual({ extension: '1001', label: 'Desk' });
    expect(deviceBody({ ...device, instance: 'urn:uuid:1', model: 'T46S' }))
      .toEqual({ extension: '1001', label: 'Desk', mac: '00:15:65:AA:BB:CC', instance: 'urn:uuid:1', model: 'T46S' });
  });

  it('sends every field of an edit, so that an emptied MAC, instance or model is cleared', () => {
    expect(deviceChangeBody({ extension: ' 1002 ', label: ' Desk ', mac: '', instance: ' urn:uuid:1 ', model: '' }))
      .toEqual({ extension: '1002', label: 'Desk', mac: '', instance: 'urn:uuid:1', model: '' });
  });

  it('fills the edit form from a device, the MAC address written with colons', () => {
    const stored = readDevice({ id: 7, extension: '1001', label: 'Desk', mac: '001565aabbcc', instance: null, model: 'T46S' });
    expect(stored && deviceInputOf(stored))
      .toEqual({ extension: '1001', label: 'Desk', mac: '00:15:65:aa:bb:cc', instance: '', model: 'T46S' });
  });
});
