// Decision 0043: a browser and a desk phone in one conference room. Room 800 is made over the
// REST API; 1001's fake microphone plays 1 kHz and it dials 800 (WebRTC, terminated in the
// room's LocalEndpoint); a Python phone (1003, plain PCMU, tests/browser/sip_peer.py) joins and
// sends 440 Hz. Each must hear the other's tone and not its own (N-1 mixing).
import { check, run, sipPeer } from './browser.mjs';
import {
  BROWSER_TONE, PHONE_TONE, adminApi, dialAndWaitForAudio, hangUp, toneLaunch, tonePhone,
} from './app_calls.mjs';
import { remoteTones } from './tones.mjs';

await run('a browser and a desk phone hear each other in a conference room', async (browser) => {
  const api = await adminApi(browser);
  const room = await api.change('POST', '/conference-rooms', { number: '800' });
  check(room.status === 201 || room.status === 200, `creating room 800: ${JSON.stringify(room)}`);
  await new Promise((resolve) => setTimeout(resolve, 1200)); // the dial plan reloads within 1 s

  const a = await tonePhone(browser, '1001');
  await dialAndWaitForAudio(a.page, '800');
  const phone = sipPeer(['talk', '--user', '1003', '--number', '800', '--send', String(PHONE_TONE),
    '--listen', String(BROWSER_TONE), '--seconds', '4']);
  await phone.next('answered', 10_000);
  await a.page.waitForTimeout(1000); // join tone and the phone's first packets
  const [heard, own] = await remoteTones(a.page, [PHONE_TONE, BROWSER_TONE], 2000);
  const result = await phone.done(15_000);
  console.log(`conference: the browser hears ${PHONE_TONE} Hz at ${heard.toFixed(3)} and its own ` +
    `${BROWSER_TONE} Hz at ${own.toFixed(3)}; the phone heard ${BROWSER_TONE} Hz at ${result.heard} ` +
    `(own ${result.own}, ${result.packets} packets)`);
  // The phone sends 8000 of 32768 (0.24 of full scale).
  check(heard >= 0.08, `the browser heard the phone's ${PHONE_TONE} Hz at ${heard.toFixed(3)} of full scale`);
  check(own < heard * 0.25, `the browser hears its own ${BROWSER_TONE} Hz at ${own.toFixed(3)}`);
  await hangUp(a.page);
  check(a.problems.length === 0, a.problems.join('\n'));
}, toneLaunch());
