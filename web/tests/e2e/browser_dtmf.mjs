// Issue 5: the in-call keypad reaches a desk phone. A Python phone (tests/browser/sip_peer.py
// answer, plain RTP: PCMU and telephone-event/8000) registers as 1002; 1001 picks a
// non-default fake microphone, calls 1002 from the contact list, and once audio flows presses
// 1 5 9 * # on the in-call keypad (the app sends RFC 4733 events through RTCDTMFSender). The
// relay decrypts the browser's SRTP and passes the events on: the phone must get exactly
// those digits as RFC 4733 events, and the keypad shows what was sent. The call's microphone
// is the chosen one. Screenshot: dtmf-keypad.png.
import {
  check, env, inboundAudio, openPage, run, screenshot, signIn, sipPeer, waitForCallStatus,
  waitUntilReady,
} from './browser.mjs';

const DIGITS = ['1', '5', '9', '*', '#'];
const SPOKEN = { '*': 'star', '#': 'pound' };

await run('browser keypad sends DTMF to a desk phone', async (browser) => {
  const phone = sipPeer(['answer', '--user', '1002']);
  const a = await openPage(browser, { name: '1001' });
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');
  await phone.next('registered');

  // The microphone choice applies to the call: pick the last fake input the browser lists.
  const microphone = a.page.getByLabel('Microphone');
  const inputs = await microphone.locator('option').evaluateAll(
    (options) => options.map((o) => ({ value: o.value, label: o.textContent ?? '' })).filter((o) => o.value),
  );
  check(inputs.length > 0, 'the Microphone list shows no device (fake devices expected)');
  const chosen = inputs[inputs.length - 1];
  await microphone.selectOption(chosen.value);

  await a.page.getByRole('button', { name: /Call .*\(1002\)/ }).click();
  await waitForCallStatus(a.page, '1001', /In call/, 10_000);
  const answered = await phone.next('answered');
  check(answered.telephone_event !== null, 'Parley offered the desk phone no telephone-event');

  // RTCDTMFSender sends only once DTLS-SRTP is up: wait for the first inbound audio.
  const deadline = Date.now() + 10_000;
  let audio = await inboundAudio(a.page);
  while ((audio === null || audio.packets === 0) && Date.now() < deadline) {
    await a.page.waitForTimeout(100);
    audio = await inboundAudio(a.page);
  }
  check(audio !== null && audio.packets > 0, '1001 got no inbound audio within 10 s of the answer');
  const trackLabel = await a.page.evaluate(() => {
    const peers = (window.__parleyTestPeers ?? []).filter((pc) => pc.connectionState !== 'closed');
    const sender = peers.at(-1)?.getSenders().find((s) => s.track?.kind === 'audio');
    return sender?.track?.label ?? '';
  });
  check(trackLabel === chosen.label.trim(),
    `the call's microphone is "${trackLabel}", the chosen one is "${chosen.label}"`);

  const call = a.page.getByRole('region', { name: 'Current call' });
  await call.getByRole('button', { name: 'Keypad' }).click();
  for (const digit of DIGITS) {
    await call.getByRole('button', { name: `Send tone: ${SPOKEN[digit] ?? digit}` }).click();
  }
  const shown = (await call.locator('.dtmf-sent').textContent()) ?? '';
  check(shown === DIGITS.join(''), `the keypad shows "${shown}" as sent, expected ${DIGITS.join('')}`);
  await screenshot(a.page, 'dtmf-keypad.png');
  // Five tones of 120 ms with 70 ms gaps leave the browser in about 1 s.
  await a.page.waitForTimeout(1500);

  await call.getByRole('button', { name: 'Hang up' }).click();
  await call.waitFor({ state: 'detached', timeout: 5000 });
  const result = await phone.done();
  console.log(`desk phone got: events "${result.event_digits}" (${result.event_packets} packets, ` +
    `${result.event_ms.join('/')} ms), ` +
    `in-band "${result.tone_digits}", payload types ${result.payload_types.join(',')}`);
  check(result.event_digits === DIGITS.join(''),
    `the desk phone got RFC 4733 digits "${result.event_digits}" (in-band "${result.tone_digits}"), ` +
    `expected ${DIGITS.join('')}`);
  // The app asks for 120 ms tones; the phone reads durations in its own 8000 Hz clock.
  check(result.event_ms.length === DIGITS.length && result.event_ms.every((ms) => ms >= 80 && ms <= 400),
    `RFC 4733 event durations ${result.event_ms.join('/')} ms, expected about 120 ms each`);
  check(a.problems.length === 0, a.problems.join('\n'));
});
