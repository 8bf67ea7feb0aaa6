// Issue 10's chat in the web app: two browser contexts signed in as 1001 and 1002 chat one to
// one over wss://HOST/chat. 1001 starts the conversation from the chat's contact list and sends
// a message full of markup and a second one; 1002, still on the contact list, sees the unread
// badge on the Chat tab (2), opens the conversation (badge of the conversation, then gone); the
// markup shows as text (no <b> element, no script ran) and 1001 sees the read receipt. 1002's
// typing shows at 1001, the reply arrives live; 1001 attaches a PNG with the file picker and
// 1002 gets a download link that serves exactly those bytes; the conversation's Call button
// rings 1002. Screenshots: chat-unread.png, chat-open.png, chat-receipt.png, chat-360.png.
import { check, cspViolations, env, openPage, requireEndpoint, run, screenshot, signIn } from './browser.mjs';

const MARKUP = '<script>window.__parleyXss = 1</script><b>bold?</b> & <img src=x onerror="window.__parleyXss = 2">';
// A real 1x1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

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

await run('two browsers chat', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  const b = await openPage(browser, { name: '1002' });
  await a.page.goto(env.url + '/', { waitUntil: 'load' });
  await requireEndpoint(a.page, 'GET', '/api/v1/session');
  await signIn(a.page, '1001', env.password);
  await signIn(b.page, '1002', env.password);
  const chatTabA = a.page.getByRole('tab', { name: /^Chat/ });
  const chatTabB = b.page.getByRole('tab', { name: /^Chat/ });
  await chatTabA.waitFor({ timeout: 10_000 });
  await chatTabB.waitFor({ timeout: 10_000 });

  // 1001 starts the conversation from a contact and writes twice.
  await chatTabA.click();
  const startButton = a.page.getByRole('button', { name: /Chat with .*\(1002\)/ });
  await startButton.waitFor({ timeout: 10_000 });
  const deadline = Date.now() + 10_000;
  while (!(await startButton.isEnabled()) && Date.now() < deadline) await a.page.waitForTimeout(100);
  check(await startButton.isEnabled(), '1001: the chat never connected (start button disabled)');
  await startButton.click();
  const composerA = a.page.getByRole('textbox', { name: 'Message' });
  await composerA.waitFor({ timeout: 5000 });
  await composerA.fill(MARKUP);
  await a.page.getByRole('button', { name: 'Send' }).click();
  await composerA.fill('second message');
  await a.page.getByRole('button', { name: 'Send' }).click();
  await a.page.getByRole('list', { name: 'Messages' }).getByText('second message').waitFor({ timeout: 5000 });

  // 1002 is on the contact list: the Chat tab shows 2 unread.
  await waitForText(chatTabB, '1002 Chat tab', /2\s*unread/);
  await screenshot(b.page, 'chat-unread.png');
  await chatTabB.click();
  const conversationB = b.page.getByRole('button', { name: /1001.*2 unread/ });
  await conversationB.waitFor({ timeout: 5000 });
  await conversationB.click();
  const messagesB = b.page.getByRole('list', { name: 'Messages' });
  await messagesB.getByText('second message').waitFor({ timeout: 5000 });
  const shown = await messagesB.getByText('bold?', { exact: false }).first().textContent();
  check(shown === MARKUP, `the markup message shows as "${shown}", not as its text`);
  check((await messagesB.locator('b, img, script').count()) === 0, 'markup in a message became elements');
  check((await b.page.evaluate(() => window.__parleyXss)) === undefined, 'script from a message ran');
  await screenshot(b.page, 'chat-open.png');

  // Read: the badge goes, 1001 sees the receipt.
  await waitForText(chatTabB, '1002 Chat tab after reading', /^Chat$/);
  await waitForText(a.page.getByRole('status', { name: 'Read receipt' }), '1001 read receipt', /Seen by 1002/);
  await screenshot(a.page, 'chat-receipt.png');

  // Typing and a live reply.
  const composerB = b.page.getByRole('textbox', { name: 'Message' });
  await composerB.pressSequentially('hi ', { delay: 20 });
  await waitForText(a.page.getByRole('status', { name: 'Typing' }), '1001 typing notice', /1002 is typing/);
  await composerB.fill('hi back');
  await composerB.press('Enter');
  await a.page.getByRole('list', { name: 'Messages' }).getByText('hi back').waitFor({ timeout: 5000 });
  check((await composerB.inputValue()) === '', 'the composer was not cleared after sending');

  // An attachment from the file picker reaches 1002 as a download link with the same bytes.
  await a.page.getByLabel('Attach a file').setInputFiles({ name: 'dot <1>.png', mimeType: 'image/png', buffer: PNG });
  const link = messagesB.getByRole('link', { name: /dot <1>\.png/ });
  await link.waitFor({ timeout: 8000 });
  const href = await link.getAttribute('href');
  const download = await b.page.request.get(env.url + href, { ignoreHTTPSErrors: true });
  check(download.status() === 200, `download answered ${download.status()}`);
  check(Buffer.compare(await download.body(), PNG) === 0, 'the downloaded file differs from the upload');
  check((download.headers()['content-disposition'] ?? '').startsWith('attachment;'), 'no Content-Disposition: attachment');

  // The conversation's Call button rings the other side; 1002 declines.
  const callButton = a.page.getByRole('button', { name: /^Call .*1002/ });
  const callDeadline = Date.now() + 15_000;
  while (!(await callButton.isEnabled()) && Date.now() < callDeadline) await a.page.waitForTimeout(200);
  check(await callButton.isEnabled(), '1001: the Call button stayed disabled (phone not registered?)');
  await callButton.click();
  const incoming = b.page.getByRole('alertdialog', { name: /Incoming call from/ });
  await incoming.waitFor({ timeout: 10_000 });
  await incoming.getByRole('button', { name: 'Decline' }).click();

  await b.page.setViewportSize({ width: 360, height: 740 });
  await b.page.waitForTimeout(300);
  const overflow = await b.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the chat is ${overflow} px wider than a 360 px screen`);
  await screenshot(b.page, 'chat-360.png');

  for (const side of [a, b]) {
    const violations = await cspViolations(side.page);
    check(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
  }
  const problems = [...a.problems, ...b.problems];
  check(problems.length === 0, problems.join('\n'));
});
