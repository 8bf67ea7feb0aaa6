import { describe, expect, it } from 'vitest';
import {
  formatOptions, ivrMenuBody, parseOptions, readIvrMenu, readSchedule, readVoicemailBox, readVoicemailMessage,
} from '../../src/lib/ivr_voicemail';

describe('readIvrMenu', () => {
  it('reads the API document with options in keypad order', () => {
    expect(readIvrMenu({
      name: 'main', number: '500', greeting_text: 'Hi', has_greeting_file: false, timeout_seconds: 5,
      max_attempts: 3, fallback: 'hangup', direct_dial: true, options: { '#': 'hangup', 0: '1001', 1: '1002', x: 'no' },
    })).toEqual({
      name: 'main', number: '500', greetingText: 'Hi', hasGreetingFile: false, timeoutSeconds: 5, maxAttempts: 3,
      fallback: 'hangup', directDial: true, options: [['1', '1002'], ['0', '1001'], ['#', 'hangup']],
    });
  });
  it('refuses a menu without a name and survives wrong members', () => {
    expect(readIvrMenu({ number: '500' })).toBeNull();
    expect(readIvrMenu({ name: 'm', options: ['1001'], timeout_seconds: -1 })).toMatchObject({
      options: [], timeoutSeconds: 0, fallback: 'hangup', directDial: false,
    });
  });
});

describe('IVR options text', () => {
  it('parses DIGIT=destination lists and writes them back', () => {
    const parsed = parseOptions('1=1002, 2 = menu:sales;#=hangup');
    expect(parsed).toEqual([['1', '1002'], ['2', 'menu:sales'], ['#', 'hangup']]);
    expect(formatOptions(parsed ?? [])).toBe('1=1002, 2=menu:sales, #=hangup');
    expect(parseOptions('')).toEqual([]);
  });
  it('refuses anything else', () => {
    expect(parseOptions('1002')).toBeNull();
    expect(parseOptions('12=1002')).toBeNull();
    expect(parseOptions('a=1002')).toBeNull();
  });
  it('sends the options as an object and leaves empty numbers to the server', () => {
    expect(ivrMenuBody({
      number: ' 500 ', greetingText: 'Hi', timeoutSeconds: null, maxAttempts: 2, fallback: ' ', directDial: false,
      options: [['1', '1002']],
    })).toEqual({ number: '500', greeting_text: 'Hi', fallback: 'hangup', direct_dial: false, options: { 1: '1002' }, max_attempts: 2 });
  });
});

describe('schedules and voicemail', () => {
  it('reads a schedule', () => {
    expect(readSchedule({ name: 'day', time_zone: 'Europe/Berlin', open_destination: '1001' })).toMatchObject({
      name: 'day', number: '', timeZone: 'Europe/Berlin', openDestination: '1001', closedDestination: '',
    });
    expect(readSchedule({})).toBeNull();
  });
  it('reads a box, on unless the API says off', () => {
    expect(readVoicemailBox({ box: '1002', new_messages: 2, saved_messages: 1, max_messages: 100, has_pin: true }))
      .toEqual({ box: '1002', displayName: '', enabled: true, hasPin: true, maxMessages: 100, newMessages: 2, savedMessages: 1 });
    expect(readVoicemailBox({ box: '1002', enabled: false })?.enabled).toBe(false);
    expect(readVoicemailBox({ box: 7 })).toBeNull();
  });
  it('plays only the API\'s own audio links', () => {
    const good = { id: 3, caller: '1001', state: 'saved', audio_url: '/api/v1/tenants/x.org/voicemail-boxes/1002/messages/3/audio' };
    expect(readVoicemailMessage(good)).toMatchObject({ id: 3, state: 'saved', audioUrl: good.audio_url });
    expect(readVoicemailMessage({ ...good, audio_url: 'https://evil.example/a.wav' })).toBeNull();
    expect(readVoicemailMessage({ ...good, id: 0 })).toBeNull();
  });
});
