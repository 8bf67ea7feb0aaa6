// Issue 5: a denied microphone gets a clear message, never a silent failure. Chromium denies
// permission prompts (--deny-permission-prompts instead of --use-fake-ui-for-media-stream) and
// the page has no microphone permission, so getUserMedia fails with NotAllowedError. 1001 signs in (registration needs no microphone),
// then: calling 1002 shows the denied-microphone message and starts no call; a call from a
// Python phone (1002, tests/browser/sip_peer.py refused) rings, Answer shows the same message
// and the caller gets 480. Screenshot: microphone-denied.png.
import {
  check, env, openPage, run, screenshot, signIn, sipPeer, waitUntilReady,
} from './browser.mjs';

const DENIED = /Microphone access was denied/;

async function deniedNotice(page, what) {
  const notice = page.getByRole('alert').filter({ hasText: DENIED });
  await notice.waitFor({ timeout: 5000 }).catch(async () => {
    const alerts = await page.getByRole('alert').allTextContents();
    check(false, `${what}: no denied-microphone message; the page shows: ${alerts.join(' / ') || 'nothing'}`);
  });
}

await run('denied microphone', async (browser) => {
  const a = await openPage(browser, { name: '1001', permissions: [] });
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');
  const state = await a.page.evaluate(async () =>
    (await navigator.permissions.query({ name: 'microphone' })).state);
  check(state !== 'granted', `the microphone permission is "${state}": the test needs it not granted`);

  await a.page.getByRole('button', { name: /Call .*\(1002\)/ }).click();
  await deniedNotice(a.page, 'calling 1002');
  check(await a.page.getByRole('region', { name: 'Current call' }).count() === 0,
    'a call started although the microphone was denied');
  await screenshot(a.page, 'microphone-denied.png');
  await a.page.getByRole('button', { name: 'Dismiss message' }).click();

  const caller = sipPeer(['refused', '--caller', '1002', '--callee', '1001', '--status', '480']);
  const incoming = a.page.getByRole('alertdialog', { name: /Incoming call from/ });
  await incoming.waitFor({ timeout: 10_000 });
  await incoming.getByRole('button', { name: 'Answer' }).click();
  await deniedNotice(a.page, 'answering 1002');
  const result = await caller.done();
  console.log(`1002's call was refused with ${result.status}`);
  await a.page.getByRole('alertdialog', { name: /Incoming call from/ }).waitFor({ state: 'detached', timeout: 5000 });
  await waitUntilReady(a.page, '1001');
  check(a.problems.length === 0, a.problems.join('\n'));
}, { microphone: 'denied' });
