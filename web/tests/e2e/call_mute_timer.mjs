// Issue 5: the in-call Mute button and the call timer, judged at the far end and on screen.
// A Python phone (tests/browser/sip_peer.py answer: plain RTP, PCMU) registers as 1002 and
// answers 1001's call; it records when and how loud the browser's fake microphone (Chromium's
// beeping test source, through Opus -> PCMU in the relay) reaches it. The scenario marks its
// own clock when it presses Mute and Unmute: before mute the phone hears the beeps, while
// muted it hears nothing above the noise floor, after unmute the beeps are back; the button
// shows the state (aria-pressed, "Unmute"). The timer reads 0:00 at the answer, follows the
// call's length to the second (0:02 after 2.5 s, later within a second of the real length)
// and is gone from the screen once the call is hung up; the History tab then lists the call,
// answered, with the length the timer showed. Screenshots: call-muted.png, history-after-call.png.
import {
  check, env, inboundAudio, openPage, run, screenshot, signIn, sipPeer, waitForCallStatus,
  waitUntilReady,
} from './browser.mjs';

const HEARD_PEAK = 1000;    // of 32767: a beep reached the phone
const SILENT_PEAK = 200;    // of 32767: nothing but coding noise (G.711 silence is 0 to 8)
const SETTLE_MS = 500;      // after a click: packets in flight, jitter buffers, the relay
const WINDOW_MS = 2000;     // each of the three windows: unmuted, muted, unmuted again

function seconds(text) {
  const match = /^(\d+):(\d\d)$/.exec(text.trim());
  check(match, `the call timer shows "${text}", expected M:SS`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Loudest sample and packets the phone got in [from, to) (epoch ms, its 100 ms buckets). */
function heard(levels, from, to) {
  const inside = levels.filter(([start]) => start >= from && start + 100 <= to);
  return {
    peak: Math.max(0, ...inside.map(([, peak]) => peak)),
    packets: inside.reduce((sum, [, , packets]) => sum + packets, 0),
    buckets: inside.length,
  };
}

await run('mute silences the browser at the far end; the call timer counts', async (browser) => {
  const phone = sipPeer(['answer', '--user', '1002']);
  const a = await openPage(browser, { name: '1001' });
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');
  await phone.next('registered');

  await a.page.getByRole('button', { name: /Call .*\(1002\)/ }).click();
  const call = a.page.getByRole('region', { name: 'Current call' });
  const timer = call.getByRole('timer', { name: 'Call duration' });
  await waitForCallStatus(a.page, '1001', /In call/, 10_000);
  const answerSeen = Date.now();
  const atAnswer = (await timer.textContent()) ?? '';
  check(atAnswer.trim() === '0:00', `the call timer shows "${atAnswer}" at the answer, expected 0:00`);
  await phone.next('answered');

  const mute = call.getByRole('button', { name: /^(Mute|Unmute)$/ });
  check(await mute.getAttribute('aria-pressed') === 'false', 'the Mute button starts pressed');

  // The first inbound audio means ICE and DTLS-SRTP are up, so the browser sends too.
  const deadline = Date.now() + 10_000;
  let audio = await inboundAudio(a.page);
  while ((audio === null || audio.packets === 0) && Date.now() < deadline) {
    await a.page.waitForTimeout(100);
    audio = await inboundAudio(a.page);
  }
  check(audio !== null && audio.packets > 0, '1001 got no inbound audio within 10 s of the answer');

  await a.page.waitForTimeout(Math.max(0, answerSeen + 2500 - Date.now()));
  const atTwo = seconds((await timer.textContent()) ?? '');
  check(atTwo >= 2 && atTwo <= 3, `the call timer shows ${atTwo} s 2.5 s after the answer, expected 2`);

  const talking = Date.now();
  await a.page.waitForTimeout(WINDOW_MS);
  await mute.click();
  const muted = Date.now();
  check(await mute.getAttribute('aria-pressed') === 'true', 'the Mute button is not pressed after muting');
  check((await mute.textContent())?.trim() === 'Unmute', `the muted button reads "${await mute.textContent()}"`);
  await screenshot(a.page, 'call-muted.png');
  await a.page.waitForTimeout(Math.max(0, muted + WINDOW_MS - Date.now()));
  await mute.click();
  const unmuted = Date.now();
  check(await mute.getAttribute('aria-pressed') === 'false', 'the Mute button stays pressed after unmuting');
  check((await mute.textContent())?.trim() === 'Mute', `the unmuted button reads "${await mute.textContent()}"`);
  await a.page.waitForTimeout(WINDOW_MS);

  const shown = seconds((await timer.textContent()) ?? '');
  const real = (Date.now() - answerSeen) / 1000;
  check(shown >= Math.floor(real) - 1 && shown <= Math.ceil(real) + 1,
    `the call timer shows ${shown} s, the call has lasted ${real.toFixed(1)} s`);

  const hungUp = Date.now();
  await call.getByRole('button', { name: 'Hang up' }).click();
  await call.waitFor({ state: 'detached', timeout: 5000 });
  check(await a.page.getByRole('timer').count() === 0, 'a call timer is still on screen after the hang-up');
  const result = await phone.done();

  // Call history: the call just made is listed, answered, with about the length the timer showed.
  await a.page.getByRole('tab', { name: 'History' }).click();
  const row = a.page.getByRole('row').filter({ hasText: '1002' }).filter({ hasText: 'answered' });
  await row.first().waitFor({ timeout: 5000 });
  const cells = await row.first().getByRole('cell').allTextContents();
  const listed = seconds(cells[3] ?? '');
  check(cells[2]?.includes('1002'), `the history row's To is "${cells[2]}", expected 1002`);
  check(Math.abs(listed - shown) <= 2,
    `history lists the call as ${listed} s long, the timer showed ${shown} s`);
  await screenshot(a.page, 'history-after-call.png');

  const before = heard(result.levels, talking, muted);
  const during = heard(result.levels, muted + SETTLE_MS, unmuted);
  const after = heard(result.levels, unmuted + SETTLE_MS, hungUp);
  console.log(`the phone heard the browser: peak ${before.peak} (${before.packets} packets) unmuted, ` +
    `${during.peak} (${during.packets}) muted, ${after.peak} (${after.packets}) unmuted again; ` +
    `timer ${atAnswer.trim()} at the answer, ${atTwo} s at 2.5 s, ${shown} s at ${real.toFixed(1)} s`);
  // While muted the browser may send silence or nothing: both are silent at the far end.
  for (const [name, window] of [['before muting', before], ['after unmuting', after]]) {
    check(window.buckets >= 5, `the phone got no browser audio ${name} (${window.buckets} buckets of 100 ms)`);
  }
  check(before.peak >= HEARD_PEAK, `before muting the phone heard the browser only at peak ${before.peak}`);
  check(during.peak <= SILENT_PEAK, `while muted the phone still heard the browser at peak ${during.peak}`);
  check(after.peak >= HEARD_PEAK, `after unmuting the phone heard the browser only at peak ${after.peak}`);
  check(a.problems.length === 0, a.problems.join('\n'));
});
