// Issue 10's presence in the web app (decision 0025): 1001 and 1002 sign in in two browser
// contexts; each sees the other "Available" in the contact list (SUBSCRIBE presence over the
// phone's SIP WebSocket). 1001 chooses "Away" with a note: 1002's contact list shows 1001 away,
// with the note, without a reload (PUBLISH -> the server -> NOTIFY). Then 1001 appears offline,
// and back to available. Screenshots: presence-away.png, presence-picker.png.
import { check, env, openPage, requireEndpoint, run, screenshot, signIn } from './browser.mjs';

async function waitForText(locator, what, pattern, timeout = 8000) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent({ timeout: 500 }).catch(() => '')) ?? '';
    if (pattern.test(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  check(false, `${what}: "${last}" never matched ${pattern}`);
  return last;
}

await run('presence across two browsers', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  const b = await openPage(browser, { name: '1002' });
  await a.page.goto(env.url + '/', { waitUntil: 'load' });
  await requireEndpoint(a.page, 'GET', '/api/v1/session');
  await signIn(a.page, '1001', env.password);
  await signIn(b.page, '1002', env.password);

  const seenByB = b.page.getByLabel(/^Status of .*/).first();
  const seenByA = a.page.getByLabel(/^Status of .*/).first();
  await waitForText(seenByB, '1002 sees 1001', /^Available/, 15_000);
  await waitForText(seenByA, '1001 sees 1002', /^Available/, 15_000);

  const loadsBefore = await b.page.evaluate(() => performance.getEntriesByType('navigation').length);
  await a.page.getByLabel('Status note').fill('Lunch, back at 2');
  await a.page.getByLabel('Your status').selectOption('away');
  await waitForText(seenByB, '1002 sees 1001 away', /^Away · Lunch, back at 2$/);
  check(
    (await b.page.locator('.presence-dot.away').count()) === 1,
    "1002's contact list has no away dot for 1001",
  );
  await screenshot(b.page, 'presence-away.png');
  await screenshot(a.page, 'presence-picker.png');

  await a.page.getByLabel('Your status').selectOption('offline');
  await waitForText(seenByB, '1002 sees 1001 offline', /^Offline$/);
  await a.page.getByLabel('Your status').selectOption('available');
  await waitForText(seenByB, '1002 sees 1001 available again', /^Available · Lunch, back at 2$/);
  const loadsAfter = await b.page.evaluate(() => performance.getEntriesByType('navigation').length);
  check(loadsAfter === loadsBefore && b.page.url().startsWith(env.url), '1002 reloaded the page');
});
