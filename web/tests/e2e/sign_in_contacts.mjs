// 1001 signs in, sees 1002 in the contact list, and the phone registers over wss://HOST/sip
// ("Ready"). Screenshots: contacts.png, contacts-360.png, keypad.png, history.png.
import { check, cspViolations, env, openPage, requireEndpoint, run, screenshot, signIn } from './browser.mjs';

await run('sign-in, contacts and registration', async (browser) => {
  for (const [viewport, suffix] of [
    [{ width: 1280, height: 800 }, ''],
    [{ width: 360, height: 740 }, '-360'],
  ]) {
    const { context, page, problems } = await openPage(browser, { viewport, name: `contacts${suffix}` });
    await page.goto(env.url + '/', { waitUntil: 'load' });
    await requireEndpoint(page, 'GET', '/api/v1/session');
    await signIn(page, '1001', env.password);
    const signInError = page.getByRole('alert');
    const contact = page.getByRole('button', { name: /Call .*\(1002\)/ });
    await Promise.race([
      contact.waitFor({ timeout: 10_000 }),
      signInError.waitFor({ timeout: 10_000 }).then(async () => {
        throw new Error(`sign-in or directory failed: ${await signInError.first().textContent()}`);
      }),
    ]);
    const status = page.getByRole('status', { name: 'Phone status' });
    try {
      await page.getByRole('status', { name: 'Phone status' }).filter({ hasText: 'Ready' }).waitFor({ timeout: 10_000 });
    } catch {
      const banner = await page.locator('.banner').textContent().catch(() => '');
      check(false, `the phone did not register: status "${await status.textContent()}" ${banner}`);
    }
    check(await contact.isEnabled(), 'the call button is disabled while registered');
    await screenshot(page, `contacts${suffix}.png`);
    if (!suffix) {
      await page.getByRole('tab', { name: 'Keypad' }).click();
      await page.getByRole('button', { name: 'Dial: 1' }).click();
      await page.getByRole('button', { name: 'Dial: 0' }).click();
      check((await page.getByLabel('Number or extension').inputValue()) === '10', 'keypad does not type');
      await screenshot(page, 'keypad.png');
      await page.getByRole('tab', { name: 'History' }).click();
      await page.getByRole('heading', { name: 'Call history' }).waitFor();
      await page.waitForTimeout(500);
      await screenshot(page, 'history.png');
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    check((await cspViolations(page)).length === 0, `CSP violations: ${(await cspViolations(page)).join('; ')}`);
    check(problems.length === 0, problems.join('\n'));
    await context.close();
  }
});
