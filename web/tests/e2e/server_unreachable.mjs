// Issue 5: an unreachable server gets a clear message, and the phone comes back by itself.
// 1001 signs in and registers; the harness then stops `parley serve` (browser_test.py
// --server-control): the WebSocket closes, JsSIP's reconnects are refused, and the page must
// say it cannot reach the phone server and no longer claim "Ready". The server starts again on
// the same port; the phone reconnects, registers again, shows "Ready" and drops the message.
// Screenshots: server-unreachable.png, server-back.png.
import {
  check, env, openPage, run, screenshot, serverControl, signIn, waitUntilReady,
} from './browser.mjs';

const UNREACHABLE = /Cannot reach the phone server/;

await run('unreachable server', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');

  const stoppedAt = Date.now();
  console.log(`server: ${await serverControl('stop')}`);
  const banner = a.page.getByRole('alert').filter({ hasText: UNREACHABLE });
  await banner.waitFor({ timeout: 10_000 }).catch(async () => {
    const alerts = await a.page.getByRole('alert').allTextContents();
    check(false, `no unreachable-server message 10 s after the server stopped; the page shows: ${alerts.join(' / ') || 'nothing'}`);
  });
  console.log(`message shown ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after the stop`);
  const status = (await a.page.getByRole('status', { name: 'Phone status' }).textContent()) ?? '';
  check(!/Ready/.test(status), `the phone status still says "${status}" with the server gone`);
  await screenshot(a.page, 'server-unreachable.png');

  const startedAt = Date.now();
  console.log(`server: ${await serverControl('start')}`);
  // JsSIP retries after 2-4 s at this point (its back-off doubles with each refusal).
  await waitUntilReady(a.page, '1001 after the server came back');
  console.log(`registered again ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the restart`);
  await banner.waitFor({ state: 'detached', timeout: 2000 }).catch(() =>
    check(false, 'the unreachable-server message stayed after the phone registered again'));
  await screenshot(a.page, 'server-back.png');

  // A refused WebSocket is logged by Chromium as a console error: that is the event under test.
  const problems = a.problems.filter((p) => !/WebSocket connection to .*\/sip' failed/.test(p));
  check(problems.length === 0, problems.join('\n'));
});
