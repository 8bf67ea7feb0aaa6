// A wrong password shows "Wrong extension or password." (the API's 401), and no phone starts.
// Needs POST /api/v1/session; fails with a clear message while the API is missing.
import { check, cspViolations, env, openPage, requireEndpoint, run, screenshot, signIn } from './browser.mjs';

await run('wrong password', async (browser) => {
  const { page, problems } = await openPage(browser, { name: 'wrong-password' });
  await page.goto(env.url + '/', { waitUntil: 'load' });
  await requireEndpoint(page, 'GET', '/api/v1/session');
  await signIn(page, '1001', env.password + '-wrong');
  const alert = page.getByRole('alert').filter({ hasText: 'Wrong extension or password.' });
  await alert.waitFor({ timeout: 10_000 });
  await screenshot(page, 'wrong-password.png');
  check(await page.getByRole('button', { name: 'Sign in' }).isVisible(), 'left the sign-in screen');
  check((await cspViolations(page)).length === 0, 'CSP violations');
  // The browser logs the 401 of the sign-in request itself as a console error: that one is expected.
  const unexpected = problems.filter((p) => !/status of 401/.test(p));
  check(unexpected.length === 0, unexpected.join('\n'));
});
