// Decision 0043 / issue 6: a browser's call is picked up. A Python phone registers as 1002 and
// rings without answering (tests/browser/sip_peer.py ring); 1001 (fake microphone: 1 kHz) calls
// 1002 from its contacts; a Python phone 1003 dials **1002 with plain PCMU and sends 440 Hz. The
// rung phone gets CANCEL "Call completed elsewhere", the browser's call is answered by the
// picker (its leg stays WebRTC), and each hears the other's tone.
import { check, run, sipPeer, waitForCallStatus } from './browser.mjs';
import { BROWSER_TONE, PHONE_TONE, hangUp, toneLaunch, tonePhone, waitForAudio } from './app_calls.mjs';
import { remoteTones } from './tones.mjs';

await run('a desk phone picks up a browser\'s call', async (browser) => {
  const rung = sipPeer(['ring', '--user', '1002']);
  const a = await tonePhone(browser, '1001');
  await rung.next('registered');
  await a.page.getByRole('button', { name: /Call .*\(1002\)/ }).click();
  await rung.next('ringing', 10_000);

  const picker = sipPeer(['talk', '--user', '1003', '--number', '**1002', '--send', String(PHONE_TONE),
    '--listen', String(BROWSER_TONE), '--seconds', '4']);
  await picker.next('answered', 10_000);
  await rung.done(10_000);
  await waitForCallStatus(a.page, '1001', /In call/, 10_000);
  await waitForAudio(a.page);
  await a.page.waitForTimeout(800);
  const [heard, own] = await remoteTones(a.page, [PHONE_TONE, BROWSER_TONE], 1500);
  const result = await picker.done(15_000);
  console.log(`pickup: the browser hears ${PHONE_TONE} Hz at ${heard.toFixed(3)} (own ${own.toFixed(3)}); ` +
    `the picker heard ${BROWSER_TONE} Hz at ${result.heard} (own ${result.own}, ${result.packets} packets)`);
  check(heard >= 0.08, `the browser heard the picker's ${PHONE_TONE} Hz at ${heard.toFixed(3)} of full scale`);
  check(own < heard * 0.25, `the browser hears its own ${BROWSER_TONE} Hz at ${own.toFixed(3)}`);
  // The picker hung up: the browser's call ends.
  await a.page.getByRole('region', { name: 'Current call' }).waitFor({ state: 'detached', timeout: 5000 })
    .catch(() => hangUp(a.page));
  check(a.problems.length === 0, a.problems.join('\n'));
}, toneLaunch());
