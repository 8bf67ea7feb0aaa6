// Issue 6 with decisions 0024 and 0055: attended transfer from the browser. A Python phone 1002
// (tests/browser/sip_peer.py attended, plain PCMU, 1 kHz; silent while held like a desk phone)
// calls the browser 1001, which answers. The browser consults 1003 (1.5 kHz, answered by the same
// process): 1002 waits on hold in its own panel and the browser hears 1003, not 1002. It cancels
// the consultation: 1003 is hung up, 1002 is resumed and heard again. It consults the echo test,
// whose transfer Parley refuses (shown, both calls still up), and cancels. It consults 1003 again
// and completes the transfer (REFER in the consultation with Refer-To 1002 and Replaces naming the
// held dialog): both of the browser's calls end, it says the transfer is complete, and 1002 and
// 1003 hear each other's tones. Screenshots: consulting.png, resumed.png, refused.png,
// two-calls.png, transferred.png.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, env, openPage, run, screenshot, signIn, sipPeer, waitForCallStatus, waitUntilReady,
} from './browser.mjs';
import { waitForAudio } from './app_calls.mjs';
import { installToneHelpers, remoteTones, writeToneWav } from './tones.mjs';

const TRANSFEREE_TONE = 1000; // Hz, what 1002 sends (sip_line.py)
const TARGET_TONE = 1500;     // Hz, what 1003 sends
const BROWSER_TONE = 600;     // Hz, the browser's fake microphone: neither of the phones' tones

function browserTone() {
  const file = join(tmpdir(), `parley-attended-${process.pid}.wav`);
  writeToneWav(file, BROWSER_TONE);
  return { audioFile: file };
}

/** Opens the Consult form of the call in front and calls `number` from it. */
async function consult(page, number) {
  const call = page.getByRole('region', { name: 'Current call' });
  await call.getByRole('button', { name: 'Consult', exact: true }).click();
  await call.getByLabel('Consult', { exact: true }).fill(number);
  await call.getByRole('button', { name: 'Call and hold this call' }).click();
}

/** The peer shown in a call region. */
async function peerOf(region) {
  return ((await region.locator('.peer').textContent()) ?? '').trim();
}

/** Checks what the browser hears from its call in front: `loud` clearly, `quiet` hardly. */
async function hears(page, what, loud, quiet) {
  const [heard, other] = await remoteTones(page, [loud, quiet], 1500);
  console.log(`${what}: ${loud} Hz at ${heard.toFixed(3)}, ${quiet} Hz at ${other.toFixed(3)} of full scale`);
  // The phones send 8000 of 32768 (0.24 of full scale).
  check(heard >= 0.08, `${what}: the browser heard ${loud} Hz at only ${heard.toFixed(3)} of full scale`);
  check(other < heard * 0.25, `${what}: the browser also hears ${quiet} Hz at ${other.toFixed(3)}`);
}

await run('browser consults, cancels, consults again and completes an attended transfer', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  await installToneHelpers(a.context);
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');

  const phones = sipPeer(['attended', '--caller', '1002', '--callee', '1001', '--target', '1003']);
  const incoming = a.page.getByRole('alertdialog', { name: /Incoming call from/ });
  await incoming.waitFor({ timeout: 10_000 });
  await incoming.getByRole('button', { name: 'Answer' }).click();
  await waitForCallStatus(a.page, '1001', /In call/, 10_000);
  await phones.next('answered');
  await waitForAudio(a.page);

  const current = a.page.getByRole('region', { name: 'Current call' });
  const held = a.page.getByRole('region', { name: 'Held call' });

  // Round 1: consult 1003, then cancel.
  await consult(a.page, '1003');
  await phones.next('held');
  await phones.next('consulted', 15_000);
  await waitForCallStatus(a.page, '1001 consulting', /In call/, 10_000);
  await held.waitFor({ timeout: 5000 });
  check(await peerOf(held) === '1002', `the held call shows ${await peerOf(held)}, expected 1002`);
  check(await peerOf(current) === '1003', `the consultation shows ${await peerOf(current)}, expected 1003`);
  const heldStatus = (await held.getByRole('status').textContent()) ?? '';
  check(/On hold/.test(heldStatus), `the held call's status reads "${heldStatus}"`);
  await waitForAudio(a.page);
  await a.page.waitForTimeout(500);
  await hears(a.page, 'consulting 1003', TARGET_TONE, TRANSFEREE_TONE);
  await screenshot(a.page, 'consulting.png');

  await current.getByRole('button', { name: 'Cancel consultation' }).click();
  await phones.next('resumed', 10_000);
  await held.waitFor({ state: 'detached', timeout: 5000 });
  await waitForCallStatus(a.page, '1001 back with 1002', /In call/, 5000);
  check(await peerOf(current) === '1002', `after the cancel the call shows ${await peerOf(current)}, expected 1002`);
  await a.page.waitForTimeout(800); // 1002's tone starts again with its resume
  await hears(a.page, 'back with 1002', TRANSFEREE_TONE, TARGET_TONE);
  await screenshot(a.page, 'resumed.png');

  // Round 2: consult the echo test (*43), which Parley answers itself: the transfer is refused
  // (403 before any NOTIFY, decision 0041), the page says so and both calls stay as they were.
  await consult(a.page, '*43');
  await phones.next('held');
  await waitForCallStatus(a.page, '1001 consulting *43', /In call/, 10_000);
  await current.getByRole('button', { name: 'Complete transfer' }).click();
  const refused = a.page.getByRole('alert').filter({ hasText: 'Transfer to *43 failed' });
  await refused.waitFor({ timeout: 5000 }).catch(async () => {
    const alerts = await a.page.getByRole('alert').allTextContents();
    check(false, `no refusal of the transfer to *43; the page shows: ${alerts.join(' / ') || 'nothing'}`);
  });
  const refusal = (await refused.textContent()) ?? '';
  console.log(`refused: ${refusal}`);
  check(/\(403 [^)]*\)\. Both calls are still up\./.test(refusal), `the refusal reads "${refusal}"`);
  check(await peerOf(held) === '1002', 'the held call is gone after the refusal');
  await waitForCallStatus(a.page, '1001 after the refusal', /In call/, 2000);
  check(await current.getByRole('button', { name: 'Complete transfer' }).isEnabled(),
    'Complete transfer stays disabled after the refusal');
  await screenshot(a.page, 'refused.png');
  await current.getByRole('button', { name: 'Cancel consultation' }).click();
  await phones.next('resumed', 10_000);
  await held.waitFor({ state: 'detached', timeout: 5000 });
  await a.page.getByRole('button', { name: 'Dismiss message' }).click();

  // Round 3: consult 1003 again and complete the transfer.
  await consult(a.page, '1003');
  await phones.next('held');
  await phones.next('consulted', 15_000);
  await waitForCallStatus(a.page, '1001 consulting again', /In call/, 10_000);
  await held.waitFor({ timeout: 5000 });
  await screenshot(a.page, 'two-calls.png');
  await current.getByRole('button', { name: 'Complete transfer' }).click();

  await phones.next('joined', 15_000);
  await current.waitFor({ state: 'detached', timeout: 10_000 });
  await held.waitFor({ state: 'detached', timeout: 5000 });
  const done = 'Transfer complete: 1002 and 1003 are talking.';
  await a.page.getByRole('alert').filter({ hasText: done }).waitFor({ timeout: 5000 }).catch(async () => {
    const alerts = await a.page.getByRole('alert').allTextContents();
    check(false, `no "${done}" notice; the page shows: ${alerts.join(' / ') || 'nothing'}`);
  });
  await screenshot(a.page, 'transferred.png');

  const result = await phones.done(20_000);
  console.log(`after the transfer: 1003 got ${result.target_packets} packets (1 kHz at ` +
    `${result.target_1000hz}), 1002 got ${result.transferee_packets} (1.5 kHz at ${result.transferee_1500hz})`);
  check(a.problems.length === 0, a.problems.join('\n'));
}, browserTone());
