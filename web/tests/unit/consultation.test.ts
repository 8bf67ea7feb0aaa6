import { describe, expect, it } from 'vitest';
import {
  acceptsIncoming, consultationAbandoned, consultationStarted, lineEnded, NO_LINES, replacesParameter,
  transferFailed, transferProgress, transferSucceeded,
} from '../../src/phone/consultation';

const first = { name: 'first call' };
const second = { name: 'consultation' };

describe('the two lines of an attended transfer', () => {
  it('rings in only when there is no call at all', () => {
    expect(acceptsIncoming(NO_LINES)).toBe(true);
    expect(acceptsIncoming({ current: first, held: null })).toBe(false);
    expect(acceptsIncoming({ current: null, held: first })).toBe(false);
  });

  it('holds the first call while the consultation is placed', () => {
    expect(consultationStarted({ current: first, held: null })).toEqual({ current: null, held: first });
  });

  it('starts no consultation without a call, nor a second one', () => {
    expect(consultationStarted(NO_LINES)).toEqual(NO_LINES);
    const consulting = { current: second, held: first };
    expect(consultationStarted(consulting)).toBe(consulting);
  });

  it('brings the held call back when the consultation could not be placed', () => {
    expect(consultationAbandoned({ current: null, held: first })).toEqual({ current: first, held: null });
    const one = { current: first, held: null };
    expect(consultationAbandoned(one)).toBe(one);
  });

  it('brings the held call to the front when the consultation ends', () => {
    expect(lineEnded({ current: second, held: first }, second)).toEqual({ current: first, held: null });
  });

  it('keeps the consultation in front when the held party hangs up', () => {
    expect(lineEnded({ current: second, held: first }, first)).toEqual({ current: second, held: null });
  });

  it('ends a single call and ignores calls it does not know', () => {
    expect(lineEnded({ current: first, held: null }, first)).toEqual(NO_LINES);
    const consulting = { current: second, held: first };
    expect(lineEnded(consulting, { name: 'stranger' })).toBe(consulting);
  });

  it('leaves nothing behind when both calls end, in either order', () => {
    const consulting = { current: second, held: first };
    expect(lineEnded(lineEnded(consulting, first), second)).toEqual(NO_LINES);
    expect(lineEnded(lineEnded(consulting, second), first)).toEqual(NO_LINES);
  });
});

describe('replacesParameter', () => {
  it('names the far end tag as to-tag (RFC 3891: the recipient\'s own) and escapes the value', () => {
    const value = replacesParameter({ callId: 'abc@host', localTag: 'ours', remoteTag: 'theirs' });
    expect(value).toBe('abc%40host%3Bto-tag%3Dtheirs%3Bfrom-tag%3Dours');
    expect(decodeURIComponent(value)).toBe('abc@host;to-tag=theirs;from-tag=ours');
  });
});

describe('transfer messages', () => {
  it('shows progress from the REFER and its NOTIFYs', () => {
    expect(transferProgress()).toBe('Transferring…');
    expect(transferProgress(202)).toBe('Transferring…');
    expect(transferProgress(100, 'Trying')).toBe('Transferring… (100 Trying)');
    expect(transferProgress(180)).toBe('Transferring… (180)');
  });

  it('names both parties on success', () => {
    expect(transferSucceeded('1002', '1003')).toBe('Transfer complete: 1002 and 1003 are talking.');
  });

  it('explains refusals the server gives and keeps the status', () => {
    expect(transferFailed('1003', 403, 'Replaces Names A Call Of Someone Else')).toBe(
      'Transfer to 1003 failed: the phone server does not allow it (403 Replaces Names A Call Of Someone Else). ' +
        'Both calls are still up.');
    expect(transferFailed('1003', 501, 'Consultation Call Is On Another Worker')).toMatch(/cannot join these two calls \(501/);
    expect(transferFailed('1003', 481, '')).toMatch(/no longer exists \(481\)/);
    expect(transferFailed('1003', 599, 'Odd')).toMatch(/refused \(599 Odd\)/);
  });

  it('says when the server did not answer', () => {
    expect(transferFailed('1003', null, 'Request Timeout')).toBe(
      'Transfer to 1003 failed: no answer from the phone server (Request Timeout). Both calls are still up.');
  });
});
