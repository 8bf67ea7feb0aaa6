// Issue 5 with decision 0014: blind transfer from the browser. A Python phone 1002 (tests/
// browser/sip_peer.py transfer, plain RTP) calls the browser 1001, which answers; once audio
// flows, 1001 transfers the call to 1003 (a second Python phone) with the in-call Transfer form
// (JsSIP REFER). 1003 must get the INVITE from 1002 referred by 1001 and answer; the browser's
// call ends with "Transferred to 1003."; 1002 and 1003 then hear each other's tones through the
// relay (1002 was never re-INVITEd) and 1002's BYE ends the call at 1003.
// Screenshots: transfer-form.png, transferred.png.
import {
  check, env, inboundAudio, openPage, run, screenshot, signIn, sipPeer, waitForCallStatus,
  waitUntilReady,
} from './browser.mjs';

await run('browser blind-transfers a call', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');

  const phones = sipPeer(['transfer', '--caller', '1002', '--callee', '1001', '--target', '1003']);
  const incoming = a.page.getByRole('alertdialog', { name: /Incoming call from/ });
  await incoming.waitFor({ timeout: 10_000 });
  await incoming.getByRole('button', { name: 'Answer' }).click();
  await waitForCallStatus(a.page, '1001', /In call/, 10_000);
  await phones.next('answered');

  const deadline = Date.now() + 10_000;
  let audio = await inboundAudio(a.page);
  while ((audio === null || audio.packets === 0) && Date.now() < deadline) {
    await a.page.waitForTimeout(100);
    audio = await inboundAudio(a.page);
  }
  check(audio !== null && audio.packets > 0, '1001 got no inbound audio within 10 s of answering');

  const call = a.page.getByRole('region', { name: 'Current call' });
  await call.getByRole('button', { name: 'Transfer' }).click();
  await call.getByLabel('Transfer to').fill('1003');
  await screenshot(a.page, 'transfer-form.png');
  await call.getByRole('button', { name: 'Transfer now' }).click();

  const target = await phones.next('target-answered', 15_000);
  console.log(`1003 rang: From ${target.caller}, Referred-By ${target.referred_by}`);
  await call.waitFor({ state: 'detached', timeout: 10_000 });
  const notice = a.page.getByRole('alert').filter({ hasText: 'Transferred to 1003.' });
  await notice.waitFor({ timeout: 5000 }).catch(async () => {
    const alerts = await a.page.getByRole('alert').allTextContents();
    check(false, `no "Transferred to 1003." notice; the page shows: ${alerts.join(' / ') || 'nothing'}`);
  });
  await screenshot(a.page, 'transferred.png');

  const result = await phones.done();
  console.log(`after the transfer: 1003 got ${result.target_packets} packets (1 kHz at ` +
    `${result.target_1000hz}), 1002 got ${result.transferee_packets} (1.5 kHz at ${result.transferee_1500hz})`);
  check(a.problems.length === 0, a.problems.join('\n'));
});
