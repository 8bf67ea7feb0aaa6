// Decision 0043 / issue 6: a browser picks up a desk phone's ringing call. A Python phone
// registers as 1002 and rings without answering (tests/browser/sip_peer.py ring); a Python phone
// 1003 calls 1002 with plain PCMU and, once answered, sends 440 Hz; 1001 (fake microphone: 1 kHz)
// dials **1002 from the keypad. Its WebRTC offer crosses the relay's offer (rendered for a
// browser: our ICE credentials and fingerprint); the rung phone gets CANCEL "Call completed
// elsewhere", the caller's leg stays plain, and each hears the other's tone.
import { check, run, sipPeer } from './browser.mjs';
import { BROWSER_TONE, PHONE_TONE, dialAndWaitForAudio, hangUp, toneLaunch, tonePhone } from './app_calls.mjs';
import { remoteTones } from './tones.mjs';

await run('a browser picks up a desk phone\'s ringing call', async (browser) => {
  const rung = sipPeer(['ring', '--user', '1002']);
  const a = await tonePhone(browser, '1001');
  await rung.next('registered');
  const caller = sipPeer(['talk', '--user', '1003', '--number', '1002', '--send', String(PHONE_TONE),
    '--listen', String(BROWSER_TONE), '--seconds', '4']);
  await rung.next('ringing', 10_000);

  await dialAndWaitForAudio(a.page, '**1002');
  await caller.next('answered', 10_000);
  await rung.done(10_000);
  await a.page.waitForTimeout(800);
  const [heard, own] = await remoteTones(a.page, [PHONE_TONE, BROWSER_TONE], 1500);
  const result = await caller.done(15_000);
  console.log(`picked up: the browser hears ${PHONE_TONE} Hz at ${heard.toFixed(3)} (own ${own.toFixed(3)}); ` +
    `the caller heard ${BROWSER_TONE} Hz at ${result.heard} (own ${result.own}, ${result.packets} packets)`);
  check(heard >= 0.08, `the browser heard the caller's ${PHONE_TONE} Hz at ${heard.toFixed(3)} of full scale`);
  check(own < heard * 0.25, `the browser hears its own ${BROWSER_TONE} Hz at ${own.toFixed(3)}`);
  // The caller hung up: the browser's call ends.
  await a.page.getByRole('region', { name: 'Current call' }).waitFor({ state: 'detached', timeout: 5000 })
    .catch(() => hangUp(a.page));
  check(a.problems.length === 0, a.problems.join('\n'));
}, toneLaunch());
