// Issue 10: "presence turns to 'on a call' while a call is up and back afterwards, in the
// browser". 1001 signs in and watches contact 1002 (SUBSCRIBE presence over its SIP WebSocket).
// 1002 is a Python desk phone (sip_peer.py answer): once it registers, 1001 sees it Available.
// 1003 (another Python phone, sip_peer.py talk) calls 1002, which answers; they exchange tones
// for 3 s through Parley's relay and 1003 hangs up. While the call is up, 1001's contact list
// shows 1002 "On the phone" (text, data-state, the red dot's class and title, the label) within
// a few seconds of the answer; after the hang-up, Available again. A MutationObserver in the
// page logs every state 1002's entry shows, so the test also proves it never said "On the phone"
// before the call was answered, nor after it ended. Screenshot: presence-on-a-call.png.
import { check, cspViolations, env, openPage, run, screenshot, signIn, sipPeer, waitUntilReady } from './browser.mjs';

const WATCHED = '1002';
const ON_A_CALL = { state: 'on-the-phone', text: 'On the phone', dot: 'rgb(217, 48, 37)' };
const AVAILABLE = { state: 'available', text: 'Available', dot: 'rgb(30, 142, 62)' };

// What 1001's contact list shows for `extension` now (null while it has no live presence).
function shown(page, extension) {
  return page.evaluate((wanted) => {
    const entry = [...document.querySelectorAll('ul.contacts li')]
      .find((li) => li.querySelector('.ext')?.textContent === wanted);
    const words = entry?.querySelector('.presence');
    const dot = entry?.querySelector('.presence-dot');
    if (!words || !dot) return null;
    return {
      state: words.dataset.state,
      text: words.textContent,
      label: words.getAttribute('aria-label'),
      dotClass: dot.className,
      dotTitle: dot.getAttribute('title'),
      dot: getComputedStyle(dot).backgroundColor,
    };
  }, extension);
}

async function waitForState(page, expected, what, timeout) {
  const deadline = Date.now() + timeout;
  let last = null;
  while (Date.now() < deadline) {
    last = await shown(page, WATCHED);
    if (last?.state === expected.state) return { seen: last, at: Date.now() };
    await page.waitForTimeout(50);
  }
  check(false, `${what}: 1002's entry never showed ${expected.state} within ${timeout} ms; last ${JSON.stringify(last)}`);
}

function checkShows(seen, expected, what) {
  check(seen.text === expected.text, `${what}: the words read "${seen.text}", expected "${expected.text}"`);
  // No display name is provisioned, so the contact is named by its number.
  check(seen.label === `Status of ${WATCHED}: ${expected.text}`, `${what}: the label reads "${seen.label}"`);
  check(seen.dotClass === `presence-dot ${expected.state}`, `${what}: the dot's class is "${seen.dotClass}"`);
  check(seen.dotTitle === expected.text, `${what}: the dot's title is "${seen.dotTitle}"`);
  check(seen.dot === expected.dot, `${what}: the dot is ${seen.dot}, expected ${expected.dot}`);
}

await run('presence: a contact on a real call, then available again', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');

  // Every state 1002's entry shows from now on, stamped with the page's clock (Date.now(), the
  // same epoch as this script's): a state too short for polling is still logged.
  await a.page.evaluate((wanted) => {
    window.__presenceLog = [];
    const read = () => {
      const entry = [...document.querySelectorAll('ul.contacts li')]
        .find((li) => li.querySelector('.ext')?.textContent === wanted);
      return entry?.querySelector('.presence')?.dataset.state ?? 'none';
    };
    let last = read();
    window.__presenceLog.push({ state: last, at: Date.now() });
    new MutationObserver(() => {
      const now = read();
      if (now !== last) window.__presenceLog.push({ state: now, at: Date.now() });
      last = now;
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  }, WATCHED);

  const phone = sipPeer(['answer', '--user', WATCHED]);
  await phone.next('registered', 10_000);
  const idle = await waitForState(a.page, AVAILABLE, '1002 registered', 8000);
  checkShows(idle.seen, AVAILABLE, 'before the call');

  const callStartedAt = Date.now();
  const caller = sipPeer(['talk', '--user', '1003', '--number', WATCHED, '--send', '700', '--listen', '1000',
    '--seconds', '3']);
  await phone.next('answered', 10_000);
  const answeredAt = Date.now();
  const busy = await waitForState(a.page, ON_A_CALL, 'call answered', 4000);
  console.log(`1002 shown on a call ${busy.at - answeredAt} ms after the answer`);
  checkShows(busy.seen, ON_A_CALL, 'during the call');
  await screenshot(a.page, 'presence-on-a-call.png');

  const talked = await caller.done(15_000);
  const hungUpAt = Date.now();
  await phone.done(5000);
  console.log(`the call: ${JSON.stringify(talked)}`);
  const back = await waitForState(a.page, AVAILABLE, 'call ended', 4000);
  console.log(`1002 shown available ${back.at - hungUpAt} ms after the hang-up`);
  checkShows(back.seen, AVAILABLE, 'after the call');
  await screenshot(a.page, 'presence-after-the-call.png');
  await a.page.waitForTimeout(500);  // nothing may flicker back

  const log = await a.page.evaluate(() => window.__presenceLog);
  console.log(`1002's states: ${log.map((e) => e.state).join(' -> ')}`);
  const onCall = log.filter((e) => e.state === ON_A_CALL.state);
  check(onCall.length === 1, `"On the phone" should be shown once, for the call: ${JSON.stringify(log)}`);
  check(onCall[0].at >= callStartedAt, `"On the phone" was shown before the call: ${JSON.stringify(log)}`);
  check(onCall[0].at < hungUpAt, `"On the phone" was shown only after the call: ${JSON.stringify(log)}`);
  const last = log[log.length - 1];
  check(last.state === AVAILABLE.state, `the last state is ${last.state}: ${JSON.stringify(log)}`);
  const available = log.findIndex((e) => e.state === AVAILABLE.state);
  check(available >= 0 && available < log.indexOf(onCall[0]), `1002 was never available before the call: ${JSON.stringify(log)}`);

  const unexpected = [...a.problems, ...(await cspViolations(a.page))];
  check(unexpected.length === 0, unexpected.join('\n'));
});
