// Issue 5: a browser calls a G.711-only phone. 1001 signs in and calls 1002, a SIPp UAS
// (tests/browser/sipp/uas_pcma.xml, started by browser_test.py --sipp-uas) that answers with
// PCMA only and plays a pcap of speech. The browser leg gets Opus, so the relay transcodes
// PCMA -> Opus (and decrypts/encrypts DTLS-SRTP). For 3 s the browser's getStats shows Opus
// inbound audio whose packet count grows every second, energy grows and audioLevel > 0; then
// the browser hangs up. The harness checks the other direction: SIPp received PCMA RTP carrying
// the browser's (non-silent) microphone, and got the BYE. Screenshot: sipp-call-active.png.
import {
  check, env, inboundAudio, openPage, requireEndpoint, run, screenshot, signIn,
  waitForCallStatus, waitUntilReady,
} from './browser.mjs';

await run('browser calls a G.711-only SIPp phone', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  await a.page.goto(env.url + '/', { waitUntil: 'load' });
  await requireEndpoint(a.page, 'GET', '/api/v1/session');
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');

  await a.page.getByRole('button', { name: /Call .*\(1002\)/ }).click();
  await waitForCallStatus(a.page, '1001', /In call/, 10_000);

  // ICE and DTLS take a moment after the answer (longer on a sanitizer build).
  const deadline = Date.now() + 10_000;
  let first = await inboundAudio(a.page);
  while ((first === null || first.packets === 0) && Date.now() < deadline) {
    await a.page.waitForTimeout(100);
    first = await inboundAudio(a.page);
  }
  check(first !== null && first.packets > 0, '1001 got no inbound audio within 10 s of the answer');

  const samples = [];
  for (let i = 0; i <= 12; i++) {
    samples.push(await inboundAudio(a.page));
    await a.page.waitForTimeout(250);
  }
  check(samples.every((s) => s !== null), '1001 lost its inbound audio stream in getStats');
  for (const i of [4, 8, 12]) {
    check(samples[i].packets > samples[i - 4].packets,
      `inbound audio packets stopped growing (${samples[i - 4].packets} -> ${samples[i].packets} in 1 s)`);
  }
  const last = samples[12];
  check(/opus/i.test(last.codec), `inbound codec is "${last.codec}", expected Opus (transcoded from PCMA)`);
  check(last.energy > samples[0].energy, 'inbound audio energy did not grow (silence)');
  check(Math.max(...samples.map((s) => s.level)) > 0, 'audioLevel stayed 0 for 3 s');
  const levels = samples.map((s) => s.level.toFixed(3)).join(' ');
  console.log(`1001 inbound ${last.codec}: ${samples[0].packets} -> ${last.packets} packets in 3 s; levels ${levels}`);
  await screenshot(a.page, 'sipp-call-active.png');

  await a.page.getByRole('button', { name: 'Hang up' }).click();
  await a.page.getByRole('region', { name: 'Current call' }).waitFor({ state: 'detached', timeout: 5000 });
  check(a.problems.length === 0, a.problems.join('\n'));
});
