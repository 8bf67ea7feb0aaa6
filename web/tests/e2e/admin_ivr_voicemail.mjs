// Issue 9: IVR menus, schedules and voicemail boxes in the admin console, by a tenant admin
// (browser_test.py --tenant-admin: "desk"; --sip-peer for a Python phone that leaves a message).
// The API's refusal of a bad option shows beside Options; menu "main" on 500 is created and its
// options changed, and the API reads each back as the page showed it. A schedule with an
// unknown time zone is refused beside Time zone, then created. 1002's unanswered calls go to its
// voicemail (set over the API); a Python phone as 1001 leaves a 2 s message; the Voicemail page
// shows "1 new", plays the message in an <audio> element whose currentTime advances, refuses a
// 2-digit PIN beside New PIN, sets a PIN (the API says has_pin, never the digits) and deletes
// the message. Screenshots: admin-ivr-error.png, admin-ivrs.png, admin-schedules.png,
// admin-voicemail.png, admin-voicemail-playing.png.
import { check, cspViolations, env, openPage, run, screenshot, sipPeer } from './browser.mjs';

await run('admin: IVR menus, schedules and voicemail boxes', async (browser) => {
  const name = process.env.PARLEY_TENANT_ADMIN_NAME;
  const password = process.env.PARLEY_TENANT_ADMIN_PASSWORD;
  check(name && password, 'PARLEY_TENANT_ADMIN_NAME is not set: register the scenario with TENANT_ADMIN');
  const { page, problems } = await openPage(browser, { name: 'desk' });
  await page.goto(env.url + '/admin#ivrs', { waitUntil: 'load' });
  await page.getByLabel('Admin name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: `IVR menus of ${env.domain}` }).waitFor({ timeout: 10_000 });
  await page.getByText('No IVR menus yet.').waitFor({ timeout: 5000 });

  const api = async (path) => {
    const response = await page.request.get(`${env.url}/api/v1/tenants/${env.domain}${path}`);
    return { status: response.status(), body: await response.json().catch(() => null) };
  };
  // Changes the page does not make go through a session of their own (its own CSRF token).
  const { page: apiPage } = await openPage(browser, { name: 'api' });
  const signedIn = await apiPage.request.post(`${env.url}/api/v1/session`, { data: { username: name, password } });
  check(signedIn.status() === 200, `API sign-in: ${signedIn.status()}`);
  const csrf = (await signedIn.json()).csrf_token;
  const change = async (method, path, data) => {
    const response = await apiPage.request.fetch(`${env.url}/api/v1/tenants/${env.domain}${path}`, {
      method, data, headers: { 'X-CSRF-Token': csrf },
    });
    return { status: response.status(), body: await response.json().catch(() => null) };
  };

  // The API refuses a destination it does not know; the page says why beside Options.
  const form = page.getByRole('form', { name: 'New IVR menu' });
  await form.getByLabel('Name', { exact: true }).fill('main');
  await form.getByLabel('Number', { exact: true }).fill('500');
  await form.getByLabel('Greeting').fill('Welcome. For sales press 1.');
  await form.getByLabel('Options').fill('1=sales:team');
  await form.getByRole('button', { name: 'Create IVR menu' }).click();
  const optionsError = page.locator('#ivr-options-error');
  await optionsError.waitFor({ timeout: 5000 });
  check(/destination/.test(await optionsError.textContent()), `the options error reads "${await optionsError.textContent()}"`);
  check(await form.getByLabel('Options').getAttribute('aria-invalid') === 'true', 'Options is not marked invalid');
  check((await api('/ivrs/main')).status === 404, 'a refused menu was stored');
  await screenshot(page, 'admin-ivr-error.png');

  await form.getByLabel('Options').fill('1=1002, #=hangup');
  await form.getByRole('button', { name: 'Create IVR menu' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'main', exact: true }) });
  await row.waitFor({ timeout: 5000 });
  check((await row.textContent()).includes('1=1002, #=hangup'), `the menu row reads "${await row.textContent()}"`);
  let menu = await api('/ivrs/main');
  check(menu.status === 200 && menu.body.number === '500' && JSON.stringify(menu.body.options) === '{"1":"1002","#":"hangup"}',
    `the API has ${JSON.stringify(menu)}`);

  await row.getByRole('button', { name: 'Change menu main' }).click();
  const changeForm = page.getByRole('form', { name: 'Change menu main' });
  await changeForm.getByLabel('Options').fill('2=1001');
  await changeForm.getByLabel('Attempts').fill('4');
  await changeForm.getByRole('button', { name: 'Save menu' }).click();
  await page.getByText('Menu main was changed.').waitFor({ timeout: 5000 });
  menu = await api('/ivrs/main');
  check(JSON.stringify(menu.body?.options) === '{"2":"1001"}' && menu.body?.max_attempts === 4,
    `the API has after the change ${JSON.stringify(menu.body)}`);
  await screenshot(page, 'admin-ivrs.png');

  // Schedules: an unknown zone is refused beside Time zone.
  await page.getByRole('link', { name: 'Schedules' }).click();
  await page.getByRole('heading', { name: `Schedules of ${env.domain}` }).waitFor({ timeout: 5000 });
  const schedule = page.getByRole('form', { name: 'New schedule' });
  await schedule.getByLabel('Name', { exact: true }).fill('office');
  await schedule.getByLabel('Time zone').fill('Mars/Olympus');
  await schedule.getByLabel('While open').fill('menu:main');
  await schedule.getByLabel('While closed').fill('voicemail:1002');
  await schedule.getByRole('button', { name: 'Create schedule' }).click();
  await page.locator('#schedule-zone-error').waitFor({ timeout: 5000 });
  check((await api('/schedules/office')).status === 404, 'a refused schedule was stored');
  await schedule.getByLabel('Time zone').fill('Europe/Berlin');
  await schedule.getByRole('button', { name: 'Create schedule' }).click();
  await page.getByRole('rowheader', { name: 'office', exact: true }).waitFor({ timeout: 5000 });
  const stored = await api('/schedules/office');
  check(stored.status === 200 && stored.body.time_zone === 'Europe/Berlin' && stored.body.open_destination === 'menu:main',
    `the API has ${JSON.stringify(stored)}`);
  await screenshot(page, 'admin-schedules.png');

  // A message for 1002: its calls go to voicemail while it is not registered.
  const forward = await change('PUT', '/extensions/1002/forwards/unregistered', { destination: 'voicemail:1002' });
  check(forward.status === 200, `forwarding 1002 to voicemail: ${JSON.stringify(forward)}`);
  const message = sipPeer(['message', '--caller', '1001', '--callee', '1002']);
  await message.done(30_000);

  await page.getByRole('link', { name: 'Voicemail' }).click();
  await page.getByRole('heading', { name: `Voicemail boxes of ${env.domain}` }).waitFor({ timeout: 5000 });
  const box = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '1002', exact: true }) });
  await box.filter({ hasText: '1 new' }).waitFor({ timeout: 5000 });
  await box.getByRole('button', { name: 'Messages of box 1002' }).click();
  await page.getByRole('heading', { name: 'Messages in box 1002' }).waitFor({ timeout: 5000 });
  const messages = await api('/voicemail-boxes/1002/messages');
  check(messages.body?.items?.length === 1 && messages.body.items[0].caller === '1001',
    `the API lists ${JSON.stringify(messages.body)}`);
  const id = messages.body.items[0].id;
  await screenshot(page, 'admin-voicemail.png');

  await page.getByRole('button', { name: `Play message ${id}` }).click();
  const audio = page.getByLabel(`Voicemail message ${id} from 1001`);
  await audio.waitFor({ timeout: 5000 });
  await page.waitForFunction((label) => {
    const element = document.querySelector(`audio[aria-label="${label}"]`);
    return element && element.currentTime > 0.5;
  }, `Voicemail message ${id} from 1001`, { timeout: 8000 });
  const playback = await audio.evaluate((element) => ({ time: element.currentTime, duration: element.duration, error: element.error?.code ?? null }));
  check(playback.error === null && playback.duration > 1.5, `the message plays as ${JSON.stringify(playback)}`);
  console.log(`voicemail ${id} plays: currentTime ${playback.time.toFixed(2)} s of ${playback.duration.toFixed(2)} s`);
  await screenshot(page, 'admin-voicemail-playing.png');

  // Settings: a 2-digit PIN is refused beside New PIN; a good one is stored (hashed).
  await box.getByRole('button', { name: 'Settings of box 1002' }).click();
  const settings = page.getByRole('form', { name: 'Settings of voicemail box 1002' });
  await settings.getByLabel('New PIN').fill('12');
  await settings.getByRole('button', { name: 'Save box' }).click();
  await page.locator('#box-pin-error').waitFor({ timeout: 5000 });
  await settings.getByLabel('New PIN').fill('4826');
  await settings.getByRole('button', { name: 'Save box' }).click();
  await page.getByText('Voicemail box 1002 was changed.').waitFor({ timeout: 5000 });
  const changed = await api('/voicemail-boxes/1002');
  check(changed.body?.has_pin === true && !('pin' in changed.body), `the box after the PIN: ${JSON.stringify(changed.body)}`);

  await box.getByRole('button', { name: 'Messages of box 1002' }).click();
  await page.getByRole('button', { name: `Delete message ${id}` }).click();
  await page.getByText('No messages.').waitFor({ timeout: 5000 });
  check((await api('/voicemail-boxes/1002/messages')).body?.items?.length === 0, 'the deleted message is still listed');

  const unexpected = [...problems.filter((p) => !/status of 400/.test(p)), ...(await cspViolations(page))];
  check(unexpected.length === 0, unexpected.join('\n'));
});
