import { describe, expect, it } from 'vitest';
import {
  callQueueBody, conferenceRoomBody, conferenceRoomChangeBody, conferenceRoomChangeProblems, conferenceRoomProblems,
  formatBytes, formatDuration, readCallQueue, readConferenceRoom, readRecording, recordingDownload, wholeNumber,
} from '../../src/lib/rooms_queues';
import { adminPageOf } from '../../src/lib/admin';

describe('readConferenceRoom', () => {
  it('reads the API document and never expects the PIN', () => {
    expect(readConferenceRoom({
      number: '800', name: 'Board', has_pin: true, has_moderator_pin: true, max_participants: 10, created_at: 1,
    })).toEqual({ number: '800', name: 'Board', hasPin: true, hasModeratorPin: true, maxParticipants: 10 });
    expect(readConferenceRoom({ number: '801', has_pin: 'yes', has_moderator_pin: 1, max_participants: -3 }))
      .toEqual({ number: '801', name: '', hasPin: false, hasModeratorPin: false, maxParticipants: 0 });
    expect(readConferenceRoom({ name: 'x' })).toBeNull();
    expect(readConferenceRoom(null)).toBeNull();
  });
});

describe('the conference room form', () => {
  const room = { number: '800', pin: '', moderatorPin: '', cap: '50' };

  it('checks the moderator PIN as the API does: 4 to 8 digits, not the room PIN', () => {
    expect(conferenceRoomProblems(room)).toEqual({});
    expect(conferenceRoomProblems({ ...room, pin: '2468', moderatorPin: '13579' })).toEqual({});
    expect(conferenceRoomProblems({ ...room, moderatorPin: ' 1357 ' })).toEqual({});
    for (const wrong of ['123', '123456789', '12a4', '-1234', '1 234']) {
      expect(conferenceRoomProblems({ ...room, moderatorPin: wrong }).moderator_pin, wrong)
        .toBe('A moderator PIN is 4 to 8 digits, or leave it empty.');
    }
    expect(conferenceRoomProblems({ ...room, pin: '2468', moderatorPin: '2468' }))
      .toEqual({ moderator_pin: 'The moderator PIN must differ from the room PIN.' });
    expect(conferenceRoomProblems({ ...room, pin: ' 2468', moderatorPin: '2468 ' }).moderator_pin)
      .toBe('The moderator PIN must differ from the room PIN.');
    // Each field keeps its own message.
    expect(conferenceRoomProblems({ number: ' ', pin: '12', moderatorPin: '99', cap: 'x' })).toEqual({
      number: 'Enter the room number.',
      pin: 'A PIN is 4 to 8 digits, or leave it empty.',
      moderator_pin: 'A moderator PIN is 4 to 8 digits, or leave it empty.',
      max_participants: 'Enter a whole number, 2 to 128.',
    });
  });

  it('sends the moderator PIN only when one is given', () => {
    expect(conferenceRoomBody({ number: ' 800 ', name: '', pin: '', moderatorPin: '', maxParticipants: null }))
      .toEqual({ number: '800' });
    expect(conferenceRoomBody({ number: '800', name: 'Board', pin: '2468', moderatorPin: ' 1357 ', maxParticipants: 20 }))
      .toEqual({ number: '800', name: 'Board', pin: '2468', moderator_pin: '1357', max_participants: 20 });
  });
});

describe('the conference room change form', () => {
  const change = { pin: '', removePin: false, moderatorPin: '', removeModeratorPin: false, cap: '50' };

  it('keeps PINs left empty, checks typed ones and refuses typing one while removing it', () => {
    expect(conferenceRoomChangeProblems(change)).toEqual({});
    expect(conferenceRoomChangeProblems({ ...change, pin: '2468', moderatorPin: '1357' })).toEqual({});
    expect(conferenceRoomChangeProblems({ ...change, removePin: true, removeModeratorPin: true })).toEqual({});
    expect(conferenceRoomChangeProblems({ ...change, pin: '12' }).pin)
      .toBe('A PIN is 4 to 8 digits; leave it empty to keep the current one.');
    expect(conferenceRoomChangeProblems({ ...change, pin: '2468', removePin: true }).pin)
      .toBe('Either type a new PIN or remove it, not both.');
    expect(conferenceRoomChangeProblems({ ...change, moderatorPin: '1357', removeModeratorPin: true }).moderator_pin)
      .toBe('Either type a new moderator PIN or remove it, not both.');
    expect(conferenceRoomChangeProblems({ ...change, moderatorPin: '12x4' }).moderator_pin)
      .toBe('A moderator PIN is 4 to 8 digits; leave it empty to keep the current one.');
    expect(conferenceRoomChangeProblems({ ...change, pin: '2468', moderatorPin: ' 2468' }).moderator_pin)
      .toBe('The moderator PIN must differ from the room PIN.');
    for (const cap of ['', 'x', '2.5']) {
      expect(conferenceRoomChangeProblems({ ...change, cap }).max_participants, cap).toBe('Enter a whole number, 2 to 128.');
    }
  });

  it('sends a PIN only when typed, "" when removed, and always the name and cap', () => {
    const input = { name: ' Board ', pin: '', removePin: false, moderatorPin: '', removeModeratorPin: false, maxParticipants: 8 };
    expect(conferenceRoomChangeBody(input)).toEqual({ name: 'Board', max_participants: 8 });
    expect(conferenceRoomChangeBody({ ...input, pin: ' 2468 ', moderatorPin: '1357' }))
      .toEqual({ name: 'Board', pin: '2468', moderator_pin: '1357', max_participants: 8 });
    expect(conferenceRoomChangeBody({ ...input, removePin: true, removeModeratorPin: true, maxParticipants: null }))
      .toEqual({ name: 'Board', pin: '', moderator_pin: '' });
  });
});

describe('readCallQueue', () => {
  it('reads the API document, falling back on unknown strategies', () => {
    expect(readCallQueue({
      number: '700', name: 'Support', strategy: 'longest-idle', ring_timeout_seconds: 20, wrap_up_seconds: 5,
      max_wait_seconds: 120, max_callers: 3, fallback: 'voicemail:1003', members: ['1002', 9, '1001'],
    })).toEqual({
      number: '700', name: 'Support', strategy: 'longest-idle', ringTimeoutSeconds: 20, wrapUpSeconds: 5,
      maxWaitSeconds: 120, maxCallers: 3, fallback: 'voicemail:1003', members: ['1002', '1001'],
    });
    expect(readCallQueue({ number: '701', strategy: 'random' })?.strategy).toBe('ring-all');
    expect(readCallQueue({ number: '701' })?.fallback).toBe('hangup');
    expect(readCallQueue([])).toBeNull();
  });
});

describe('readRecording', () => {
  const good = {
    id: 7, caller: '1001', callee: '1002', started_ms: 1_700_000_000_000, duration_ms: 1500, size_bytes: 24044,
    audio_url: '/api/v1/tenants/example.com/recordings/7/audio',
  };
  it('reads the API document', () => {
    expect(readRecording(good)).toEqual({
      id: 7, caller: '1001', callee: '1002', startedMs: 1_700_000_000_000, durationMs: 1500, sizeBytes: 24044,
      format: 'wav', audioUrl: '/api/v1/tenants/example.com/recordings/7/audio',
    });
    expect(readRecording({ ...good, format: 'ogg' })?.format).toBe('ogg');
    expect(readRecording({ ...good, format: 'mp3' })?.format).toBe('wav');
  });
  it('downloads as an attachment named by the format', () => {
    const ogg = readRecording({ ...good, format: 'ogg' });
    expect(ogg && recordingDownload(ogg)).toEqual({
      href: '/api/v1/tenants/example.com/recordings/7/audio?download=1', name: 'recording-7.opus',
    });
    const wav = readRecording(good);
    expect(wav && recordingDownload(wav).name).toBe('recording-7.wav');
  });
  it('refuses a link that is not the API\'s own audio path', () => {
    expect(readRecording({ ...good, audio_url: 'https://evil.example/x.wav' })).toBeNull();
    expect(readRecording({ ...good, audio_url: '/api/v1/tenants/a/recordings/../../x/audio' })).toBeNull();
    expect(readRecording({ ...good, id: '7' })).toBeNull();
    expect(readRecording({ ...good, id: 0 })).toBeNull();
  });
});

describe('form helpers', () => {
  it('reads whole numbers', () => {
    expect(wholeNumber('')).toBeNull();
    expect(wholeNumber(' 15 ')).toBe(15);
    expect(wholeNumber('1.5')).toBeNaN();
    expect(wholeNumber('-1')).toBeNaN();
  });
  it('builds the queue body, hang-up for an empty fallback', () => {
    expect(callQueueBody({
      name: ' Support ', strategy: 'round-robin', ringTimeoutSeconds: 20, wrapUpSeconds: null, maxWaitSeconds: 0,
      maxCallers: null, fallback: ' ', members: ['1001'],
    })).toEqual({
      name: 'Support', strategy: 'round-robin', ring_timeout_seconds: 20, max_wait_seconds: 0, fallback: 'hangup',
      members: ['1001'],
    });
  });
  it('formats lengths and sizes', () => {
    expect(formatDuration(7_400)).toBe('0:07');
    expect(formatDuration(725_000)).toBe('12:05');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatBytes(980)).toBe('980 B');
    expect(formatBytes(31_300)).toBe('31.3 KB');
    expect(formatBytes(4_200_000)).toBe('4.2 MB');
  });
  it('knows the new admin pages', () => {
    expect(adminPageOf('#rooms')).toBe('rooms');
    expect(adminPageOf('#queues')).toBe('queues');
    expect(adminPageOf('#recordings')).toBe('recordings');
    expect(adminPageOf('#tenants')).toBe('tenants');
  });
});
