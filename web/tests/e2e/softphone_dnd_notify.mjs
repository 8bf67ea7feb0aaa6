// Issue 10 in the softphone: the do-not-disturb switch and browser notifications.
// 1001's page (Chromium's notification permission not yet granted) offers "Turn on
// notifications"; clicking it asks the browser (Notification.requestPermission runs on the
// click). The DND switch shows the server's state: switched on, a Python phone's call from 1002
// is refused busy (486) by the server and the API reads dnd true; switched off from another
// session (the API), the switch follows by itself. With notifications granted and the page
// hidden, a chat message from 1002 (a second browser) and an incoming call from 1002 each
// create a Notification (window.Notification is wrapped in the page to record its calls; the
// real constructor still runs). The page's hidden state is set by the test, as headless
// Chromium keeps every tab visible; so is "default" before the click (headless answers
// "denied" where a browser never asked answers "default"). Screenshots: dnd-on.png, notifications.png.
import {
  check, cspViolations, env, openPage, run, screenshot, signIn, sipPeer, waitUntilReady,
} from './browser.mjs';

const OWN = `/api/v1/tenants/${env.domain}/extensions/1001/call-features`;

await run('softphone: do-not-disturb switch and notifications', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  await a.context.addInitScript(() => {
    window.__notifications = [];
    window.__permissionRequests = 0;
    window.__parleyTestHidden = false;
    Object.defineProperty(document, 'visibilityState', {
      configurable: true, get: () => (window.__parleyTestHidden ? 'hidden' : 'visible'),
    });
    const Real = window.Notification;
    if (!Real) return;
    const Recorded = function (title, options) {
      window.__notifications.push({ title, body: options?.body ?? '', tag: options?.tag ?? '' });
      return new Real(title, options);
    };
    // Headless Chromium answers "denied" until a permission is granted, where a real browser
    // answers "default" (never asked): the page sees "default" until it asks, then the truth.
    window.__initialPermission = Real.permission;
    Object.defineProperty(Recorded, 'permission', {
      get: () => (window.__permissionRequests === 0 && Real.permission === 'denied' ? 'default' : Real.permission),
    });
    Recorded.requestPermission = (...args) => {
      window.__permissionRequests += 1;
      return Real.requestPermission(...args);
    };
    Recorded.prototype = Real.prototype;
    window.Notification = Recorded;
  });
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');

  console.log(`Notification.permission before any grant: ${await a.page.evaluate(() => window.__initialPermission)}`);
  // Permission is asked on the user's click, not before.
  const turnOn = a.page.getByRole('button', { name: 'Turn on notifications' });
  await turnOn.waitFor({ timeout: 5000 });
  check(await a.page.evaluate(() => window.__permissionRequests) === 0, 'permission was asked before any click');
  await turnOn.click();
  await a.page.waitForFunction(() => window.__permissionRequests === 1, null, { timeout: 5000 });

  // Do not disturb, switched on in the page: the server refuses 1002's call busy.
  const dnd = a.page.getByRole('switch', { name: /Do not disturb/ });
  await dnd.waitFor({ timeout: 5000 });
  await a.page.waitForFunction(() => !document.querySelector('[role=switch]')?.disabled, null, { timeout: 5000 });
  check(await dnd.getAttribute('aria-checked') === 'false', 'the switch starts on');
  await dnd.click();
  await a.page.waitForFunction(() => document.querySelector('[role=switch]')?.getAttribute('aria-checked') === 'true',
    null, { timeout: 5000 });
  const read = await a.page.request.get(env.url + OWN);
  check((await read.json()).dnd === true, `the API after the switch: ${await read.text()}`);
  await screenshot(a.page, 'dnd-on.png');
  const busy = sipPeer(['refused', '--caller', '1002', '--callee', '1001', '--status', '486']);
  await busy.done();
  check(await a.page.getByRole('alertdialog', { name: /Incoming call from/ }).count() === 0, 'the browser rang in do-not-disturb');

  // Switched off elsewhere (another session of 1001 over the API): the switch follows.
  const other = await openPage(browser, { name: 'api' });
  const session = await other.page.request.post(`${env.url}/api/v1/session`,
    { data: { username: `1001@${env.domain}`, password: env.password } });
  check(session.status() === 200, `API sign-in of 1001: ${session.status()}`);
  const csrf = (await session.json()).csrf_token;
  const off = await other.page.request.patch(env.url + OWN, { data: { dnd: false }, headers: { 'X-CSRF-Token': csrf } });
  check(off.status() === 200, `PATCH dnd false: ${off.status()}`);
  await a.page.waitForFunction(() => document.querySelector('[role=switch]')?.getAttribute('aria-checked') === 'false',
    null, { timeout: 8000 });

  // Notifications while the page is hidden: a chat message and an incoming call.
  await a.context.grantPermissions(['notifications']);
  await a.page.evaluate(() => { window.__parleyTestHidden = true; });
  const b = await openPage(browser, { name: '1002' });
  await signIn(b.page, '1002', env.password);
  await b.page.getByRole('tab', { name: /^Chat/ }).click();
  const start = b.page.getByRole('button', { name: /Chat with .*\(1001\)/ });
  await start.waitFor({ timeout: 10_000 });
  const deadline = Date.now() + 10_000;
  while (!(await start.isEnabled()) && Date.now() < deadline) await b.page.waitForTimeout(100);
  await start.click();
  await b.page.getByRole('textbox', { name: 'Message' }).fill('Lunch at noon?');
  await b.page.getByRole('button', { name: 'Send' }).click();
  await a.page.waitForFunction(() => window.__notifications.some((n) => n.title === 'Message from 1002'),
    null, { timeout: 8000 });
  const chat = (await a.page.evaluate(() => window.__notifications)).find((n) => n.title === 'Message from 1002');
  check(chat.body === 'Lunch at noon?', `the chat notification reads ${JSON.stringify(chat)}`);

  const ringing = sipPeer(['refused', '--caller', '1002', '--callee', '1001', '--status', '486']);
  const incoming = a.page.getByRole('alertdialog', { name: /Incoming call from/ });
  await incoming.waitFor({ timeout: 10_000 });
  await a.page.waitForFunction(() => window.__notifications.some((n) => n.title.startsWith('Incoming call from')),
    null, { timeout: 5000 });
  await screenshot(a.page, 'notifications.png');
  await incoming.getByRole('button', { name: 'Decline' }).click();
  await ringing.done();
  const shown = await a.page.evaluate(() => window.__notifications);
  console.log(`notifications: ${JSON.stringify(shown)}`);
  check(shown.length === 2, `expected two notifications, got ${JSON.stringify(shown)}`);

  // Visible again: nothing more is shown for a new message.
  await a.page.evaluate(() => { window.__parleyTestHidden = false; });
  await b.page.getByRole('textbox', { name: 'Message' }).fill('still there?');
  await b.page.getByRole('button', { name: 'Send' }).click();
  await a.page.waitForTimeout(1000);
  check((await a.page.evaluate(() => window.__notifications.length)) === 2, 'a notification was shown on a visible page');

  const unexpected = [...a.problems, ...b.problems, ...(await cspViolations(a.page))];
  check(unexpected.length === 0, unexpected.join('\n'));
});
