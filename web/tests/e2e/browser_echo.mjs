// Decision 0043: a browser reaches an application. 1001's fake microphone plays a 1 kHz tone; it
// dials *43 (the echo test) from the keypad. Parley answers the browser's WebRTC offer itself
// (ICE-lite, DTLS-SRTP in the application's LocalEndpoint) and plays back what it hears: the
// browser must hear its own 1 kHz tone, and nothing at 440 Hz.
import { check, run } from './browser.mjs';
import { BROWSER_TONE, PHONE_TONE, dialAndWaitForAudio, hangUp, toneLaunch, tonePhone } from './app_calls.mjs';
import { AMPLITUDE, remoteTones } from './tones.mjs';

await run('a browser calls the echo test and hears itself', async (browser) => {
  const a = await tonePhone(browser, '1001');
  await dialAndWaitForAudio(a.page, '*43');
  await a.page.waitForTimeout(500); // the first jitter-buffer fill
  const [own, other] = await remoteTones(a.page, [BROWSER_TONE, PHONE_TONE], 2000);
  console.log(`echo: the browser hears ${BROWSER_TONE} Hz at ${own.toFixed(3)} and ${PHONE_TONE} Hz at ` +
    `${other.toFixed(3)} (it sends ${AMPLITUDE} of full scale)`);
  check(own >= AMPLITUDE * 0.3, `the echo of ${BROWSER_TONE} Hz arrived at ${own.toFixed(3)} of full scale`);
  check(other < own * 0.1, `${PHONE_TONE} Hz at ${other.toFixed(3)}: not a clean echo`);
  await hangUp(a.page);
  check(a.problems.length === 0, a.problems.join('\n'));
}, toneLaunch());
