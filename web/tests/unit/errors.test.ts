import { describe, expect, it } from 'vitest';
import { callEndMessage, microphoneError, registrationError, signInError } from '../../src/lib/errors';

describe('signInError', () => {
  it('says wrong password for 401', () => {
    expect(signInError(401, { title: 'Unauthorized' })).toBe('Wrong extension or password.');
  });
  it('says the server is unreachable when there was no answer', () => {
    expect(signInError(0, null)).toMatch(/Cannot reach the server/);
  });
  it('asks to wait when throttled', () => {
    expect(signInError(429, null)).toMatch(/Too many sign-in attempts/);
  });
  it('names a missing API and server failures', () => {
    expect(signInError(404, null)).toMatch(/HTTP 404/);
    expect(signInError(503, null)).toMatch(/HTTP 503/);
  });
  it('passes on the problem document otherwise', () => {
    expect(signInError(400, { detail: 'username must be ext@domain' })).toBe('username must be ext@domain');
    expect(signInError(418, { title: 'Teapot' })).toBe('Sign-in failed: Teapot');
    expect(signInError(418, null)).toBe('Sign-in failed (HTTP 418).');
  });
});

describe('registrationError', () => {
  it('treats 401/403 after registration as a refused password', () => {
    expect(registrationError('Authentication Error', 401)).toMatch(/refused your password/);
    expect(registrationError('Rejected', 403)).toMatch(/refused your password/);
  });
  it('reports a failed WebSocket as an unreachable server', () => {
    expect(registrationError('Connection Error', null)).toMatch(/WebSocket connection failed/);
  });
  it('shows the status for anything else', () => {
    expect(registrationError('SIP Failure Code', 500)).toBe('The phone could not register (500).');
  });
});

describe('microphoneError', () => {
  it('explains a denied microphone', () => {
    expect(microphoneError('NotAllowedError')).toMatch(/Microphone access was denied/);
  });
  it('explains a missing or busy microphone', () => {
    expect(microphoneError('NotFoundError')).toMatch(/No microphone/);
    expect(microphoneError('NotReadableError')).toMatch(/in use/);
    expect(microphoneError('Whatever')).toBe('The microphone could not be opened.');
  });
});

describe('callEndMessage', () => {
  it('is silent for a normal end', () => {
    expect(callEndMessage('Terminated', false)).toBeNull();
    expect(callEndMessage('Canceled', true)).toBeNull();
    expect(callEndMessage('Rejected', true)).toBeNull();
  });
  it('explains why a call did not happen', () => {
    expect(callEndMessage('Busy', false)).toBe('The line is busy.');
    expect(callEndMessage('Rejected', false)).toBe('The call was declined.');
    expect(callEndMessage('Not Found', false)).toMatch(/No such/);
    expect(callEndMessage('User Denied Media Access', false)).toMatch(/denied/);
    expect(callEndMessage('Something New', false)).toBe('The call ended: Something New.');
  });
});
