// Decision 0043: a browser leaves a voicemail. 1002's calls go to its voicemail while it is not
// registered (set over the REST API); 1001's fake microphone plays 1 kHz and it calls 1002 from
// the keypad, waits out the greeting, talks for 3 s and hangs up. The stored message (its WAV
// fetched over the API) must be from 1001 and hold the tone (Goertzel in Node).
import { check, run } from './browser.mjs';
import { BROWSER_TONE, PHONE_TONE, adminApi, dialAndWaitForAudio, hangUp, toneLaunch, tonePhone } from './app_calls.mjs';
import { AMPLITUDE, goertzel, readWav } from './tones.mjs';

await run('a browser leaves a voicemail that holds its tone', async (browser) => {
  const api = await adminApi(browser);
  const forward = await api.change('PUT', '/extensions/1002/forwards/unregistered', { destination: 'voicemail:1002' });
  check(forward.status === 200, `forwarding 1002 to voicemail: ${JSON.stringify(forward)}`);
  await new Promise((resolve) => setTimeout(resolve, 1200)); // the dial plan reloads within 1 s

  const a = await tonePhone(browser, '1001');
  await dialAndWaitForAudio(a.page, '1002');
  await a.page.waitForTimeout(4000); // the greeting (with its beep), then 3 s of message
  await hangUp(a.page);

  let messages = null;
  for (let tries = 0; tries < 50; tries += 1) {
    messages = await api.get('/voicemail-boxes/1002/messages');
    if (messages.body?.items?.length) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const items = messages?.body?.items ?? [];
  check(items.length === 1 && items[0].caller === '1001', `box 1002 lists ${JSON.stringify(messages?.body)}`);
  const audio = await api.bytes(`/voicemail-boxes/1002/messages/${items[0].id}/audio`);
  check(audio.status === 200, `the message's audio answered ${audio.status}`);
  const { samples, rate } = readWav(audio.body);
  const seconds = samples.length / rate;
  check(seconds >= 1.5, `the message holds ${seconds.toFixed(2)} s`);
  // The middle second: past the start of recording, before the hang-up.
  const middle = samples.slice(Math.floor(samples.length / 2 - rate / 2), Math.floor(samples.length / 2 + rate / 2));
  const tone = goertzel(middle, rate, BROWSER_TONE) / 32768;
  const other = goertzel(middle, rate, PHONE_TONE) / 32768;
  console.log(`voicemail: ${seconds.toFixed(2)} s at ${rate} Hz; ${BROWSER_TONE} Hz at ${tone.toFixed(3)} ` +
    `of full scale (sent ${AMPLITUDE}), ${PHONE_TONE} Hz at ${other.toFixed(3)}`);
  check(tone >= AMPLITUDE * 0.3, `the message holds ${BROWSER_TONE} Hz at only ${tone.toFixed(3)} of full scale`);
  check(other < tone * 0.1, `the message is not a clean tone (${PHONE_TONE} Hz at ${other.toFixed(3)})`);
  check(a.problems.length === 0, a.problems.join('\n'));
}, toneLaunch());
