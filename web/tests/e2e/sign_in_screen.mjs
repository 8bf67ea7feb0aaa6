// The sign-in screen renders from the server with no console error and no CSP violation, its
// scripts and stylesheets carry Subresource Integrity, nothing overflows at 360 px, and the
// /admin entry answers. Screenshots: sign-in.png (desktop), sign-in-360.png, admin.png.
import { check, cspViolations, env, openPage, run, screenshot } from './browser.mjs';

await run('sign-in screen', async (browser) => {
  for (const [viewport, file] of [
    [{ width: 1280, height: 800 }, 'sign-in.png'],
    [{ width: 360, height: 740 }, 'sign-in-360.png'],
  ]) {
    const { context, page, problems } = await openPage(browser, { viewport, name: file });
    const response = await page.goto(env.url + '/', { waitUntil: 'load' });
    check(response?.status() === 200, `GET / answered ${response?.status()}: is the web app served?`);
    const csp = response.headers()['content-security-policy'] ?? '';
    check(csp.includes("default-src 'self'"), `no strict CSP header on /: "${csp}"`);
    await page.getByRole('heading', { name: 'Parley' }).waitFor({ timeout: 10_000 });
    await page.getByLabel('Extension').waitFor();
    await page.getByLabel('Password').waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    const unprotected = await page.evaluate(() =>
      [...document.querySelectorAll('script, link[rel~="stylesheet"], link[rel~="modulepreload"]')]
        .filter((el) => !el.integrity || !el.integrity.startsWith('sha384-') || !el.getAttribute('src') && el.tagName === 'SCRIPT')
        .map((el) => el.outerHTML),
    );
    check(unprotected.length === 0, `elements without integrity or inline: ${unprotected.join(' ')}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `${file}: the page is ${overflow} px wider than the ${viewport.width} px screen`);

    // An empty form is refused in the page, without a request.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Enter your extension.' }).waitFor({ timeout: 2000 });
    await screenshot(page, file);

    const manifest = await page.evaluate(async () => (await fetch('/manifest.webmanifest')).json());
    check(manifest.icons?.length >= 2 && manifest.start_url === '/', 'the web manifest is incomplete');

    const violations = await cspViolations(page);
    check(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
    check(problems.length === 0, problems.join('\n'));
    await context.close();
  }

  const { context, page, problems } = await openPage(browser, { name: 'admin' });
  const admin = await page.goto(env.url + '/admin', { waitUntil: 'load' });
  check(admin?.status() === 200, `GET /admin answered ${admin?.status()}`);
  await page.getByRole('heading', { name: 'Parley administration' }).waitFor({ timeout: 10_000 });
  await screenshot(page, 'admin.png');
  check(problems.length === 0, problems.join('\n'));
  await context.close();
});
