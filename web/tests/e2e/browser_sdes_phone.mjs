// Issue 11: SRTP keyed by SDES on a desk phone, bridged to a browser's DTLS-SRTP. A Python desk
// phone (tests/browser/sip_peer.py talk --sdes, its own RFC 3711 code in srtp_peer.py) calls the
// browser 1001 over UDP offering RTP/SAVP with one AES_CM_128_HMAC_SHA1_80 key; the browser
// answers (WebRTC: ICE, DTLS-SRTP, Opus). Parley's relay decrypts the phone's SRTP, transcodes
// PCMU <-> Opus and encrypts again for each side. By ear: the browser hears the phone's 440 Hz
// and not its own 1000 Hz; the phone hears the browser's 1000 Hz in what it decrypts under the
// key Parley answered with (one a=crypto line, a key of Parley's own; every packet must
// authenticate). The phone hangs up and the browser's call ends. Screenshot: sdes-phone-call.png.
import { check, run, screenshot, sipPeer, waitForCallStatus } from './browser.mjs';
import { BROWSER_TONE, PHONE_TONE, tonePhone, toneLaunch, waitForAudio } from './app_calls.mjs';
import { remoteTones } from './tones.mjs';

await run('an SDES-SRTP desk phone and a browser hear each other', async (browser) => {
  const a = await tonePhone(browser, '1001');
  const phone = sipPeer(['talk', '--user', '1003', '--number', '1001', '--sdes',
    '--send', String(PHONE_TONE), '--listen', String(BROWSER_TONE), '--seconds', '6']);
  const incoming = a.page.getByRole('alertdialog', { name: /Incoming call from/ });
  await incoming.waitFor({ timeout: 10_000 });
  await incoming.getByRole('button', { name: 'Answer' }).click();
  await waitForCallStatus(a.page, '1001', /In call/, 10_000);
  const answered = await phone.next('answered', 10_000);
  check(answered.srtp === true, `the phone's call is not SRTP: ${JSON.stringify(answered)}`);

  await waitForAudio(a.page);
  await a.page.waitForTimeout(500); // the first packets after DTLS
  const [heard, own] = await remoteTones(a.page, [PHONE_TONE, BROWSER_TONE], 2000);
  await screenshot(a.page, 'sdes-phone-call.png');
  const result = await phone.done(20_000);
  console.log(`sdes: the browser hears ${PHONE_TONE} Hz at ${heard.toFixed(3)} and its own ` +
    `${BROWSER_TONE} Hz at ${own.toFixed(3)}; the phone heard ${BROWSER_TONE} Hz at ` +
    `${result.heard} (own ${result.own}) in ${result.packets} decrypted packets, ` +
    `${result.srtp_failed} failed authentication`);
  // The phone sends 8000 of 32768 (0.24 of full scale), PCMU transcoded to Opus.
  check(heard >= 0.08, `the browser heard the phone's ${PHONE_TONE} Hz at ${heard.toFixed(3)} of full scale`);
  check(own < heard * 0.25, `the browser hears its own ${BROWSER_TONE} Hz at ${own.toFixed(3)}`);

  // The phone's BYE ends the browser's call.
  await a.page.getByRole('region', { name: 'Current call' }).waitFor({ state: 'detached', timeout: 5000 });
  check(a.problems.length === 0, a.problems.join('\n'));
}, toneLaunch());
