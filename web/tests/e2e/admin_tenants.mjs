// Issue 9: tenants in the admin console (decision 0054). The system admin opens Tenants, sees
// the API's refusal of a domain that is no host name beside the Domain field (nothing stored),
// creates acme.example, sees a second create of the same domain refused beside the field too,
// renames it in its change form and deletes it after a confirmation that says what goes with it;
// the API and the console's tenant picker agree after each step. Then the tenant admin "desk"
// (browser_test.py --tenant-admin) signs in: no Tenants link, /admin#tenants shows its
// extensions instead, and the API refuses it a new tenant (403).
// Screenshots: admin-tenant-error.png, admin-tenants.png, admin-tenant-edit.png,
// admin-tenant-delete.png.
import { check, cspViolations, env, openPage, run, screenshot } from './browser.mjs';

const DOMAIN = 'acme.example';

async function signIn(page, name, password) {
  await page.getByLabel('Admin name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

await run('admin: the system admin creates, changes and deletes a tenant', async (browser) => {
  check(env.adminName && env.adminPassword, 'PARLEY_ADMIN_NAME / PARLEY_ADMIN_PASSWORD are not set');
  const deskName = process.env.PARLEY_TENANT_ADMIN_NAME;
  const deskPassword = process.env.PARLEY_TENANT_ADMIN_PASSWORD;
  check(deskName && deskPassword, 'PARLEY_TENANT_ADMIN_NAME is not set: register the scenario with TENANT_ADMIN');

  const { page, problems } = await openPage(browser, { name: 'root' });
  await page.goto(env.url + '/admin#tenants', { waitUntil: 'load' });
  await signIn(page, env.adminName, env.adminPassword);
  await page.getByRole('heading', { name: 'Tenants', exact: true }).waitFor({ timeout: 10_000 });
  const rowOf = (domain) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: domain, exact: true }) });
  await rowOf(env.domain).waitFor({ timeout: 5000 });
  check((await rowOf(env.domain).textContent()).includes('Default'), 'the demo tenant is not shown as the default');

  const tenantApi = async (domain) => {
    const response = await page.request.get(`${env.url}/api/v1/tenants/${encodeURIComponent(domain)}`);
    return { status: response.status(), body: await response.json().catch(() => null) };
  };
  const pickerOptions = () => page.locator('#tenant option').allTextContents();

  // A domain that is no host name: the API's refusal beside the Domain field, nothing stored.
  const form = page.getByRole('form', { name: 'New tenant' });
  const domainInput = form.getByLabel('Domain', { exact: true });
  await domainInput.fill('bad domain!');
  await form.getByLabel('Display name').fill('Acme');
  await form.getByRole('button', { name: 'Create tenant' }).click();
  const domainError = page.locator('#tenant-domain-error');
  await domainError.waitFor({ timeout: 5000 });
  check(/host name/.test(await domainError.textContent()), `the domain error reads "${await domainError.textContent()}"`);
  check(await domainInput.getAttribute('aria-invalid') === 'true', 'Domain is not marked invalid');
  const listed = await (await page.request.get(`${env.url}/api/v1/tenants`)).json();
  check(listed.items.length === 1, `a refused tenant was stored: ${JSON.stringify(listed.items)}`);
  await screenshot(page, 'admin-tenant-error.png');

  // Created: in the table, in the API (the domain folded to lower case) and in the picker.
  await domainInput.fill('Acme.Example');
  await form.getByRole('button', { name: 'Create tenant' }).click();
  await page.getByText(`Tenant ${DOMAIN} was created.`).waitFor({ timeout: 5000 });
  await rowOf(DOMAIN).waitFor({ timeout: 5000 });
  let stored = await tenantApi(DOMAIN);
  check(stored.status === 200 && stored.body.display_name === 'Acme' && stored.body.is_default === false,
    `the API has ${JSON.stringify(stored)}`);
  await page.waitForFunction((d) => [...document.querySelectorAll('#tenant option')].some((o) => o.value === d),
    DOMAIN, { timeout: 5000 });
  check((await pickerOptions()).includes(`Acme (${DOMAIN})`), `the picker offers ${await pickerOptions()}`);

  // The same domain again: 409 beside the Domain field.
  await domainInput.fill(DOMAIN);
  await form.getByRole('button', { name: 'Create tenant' }).click();
  await domainError.waitFor({ timeout: 5000 });
  check(/already exists/.test(await domainError.textContent()), `the duplicate error reads "${await domainError.textContent()}"`);
  await domainInput.fill('');
  await screenshot(page, 'admin-tenants.png');

  // Changed in its form: the display name (the domain is the tenant's identity and stays).
  await rowOf(DOMAIN).getByRole('button', { name: `Change tenant ${DOMAIN}` }).click();
  const change = page.getByRole('form', { name: `Change tenant ${DOMAIN}` });
  check(await change.getByLabel('Domain', { exact: true }).count() === 0, 'the change form offers to change the domain');
  check(await change.getByLabel('Display name').inputValue() === 'Acme', 'the change form does not show the name');
  await change.getByLabel('Display name').fill('Acme Ltd');
  await change.getByRole('button', { name: 'Save tenant' }).click();
  await page.getByText(`Tenant ${DOMAIN} was changed.`).waitFor({ timeout: 5000 });
  // The notice comes with the answer; the table follows once the list is read again.
  const renamed = await rowOf(DOMAIN).filter({ hasText: 'Acme Ltd' }).waitFor({ timeout: 5000 })
    .then(() => true, () => false);
  check(renamed, 'the row does not show the new name within 5 s');
  stored = await tenantApi(DOMAIN);
  check(stored.body?.display_name === 'Acme Ltd' && stored.body?.is_default === false,
    `the API has the changed tenant ${JSON.stringify(stored.body)}`);
  check((await tenantApi(env.domain)).body?.is_default === true, 'the demo tenant is no longer the default');
  await page.waitForFunction((d) => [...document.querySelectorAll('#tenant option')].some((o) => o.textContent === `Acme Ltd (${d})`),
    DOMAIN, { timeout: 5000 });
  await screenshot(page, 'admin-tenant-edit.png');

  // Deleted after a confirmation that says what goes with it.
  await rowOf(DOMAIN).getByRole('button', { name: `Delete tenant ${DOMAIN}` }).click();
  const question = rowOf(DOMAIN).getByRole('group', { name: `Confirm deleting tenant ${DOMAIN}` });
  check(/extensions, registrations, call records/.test(await question.textContent()),
    `the delete question reads "${await question.textContent()}"`);
  await screenshot(page, 'admin-tenant-delete.png');
  await rowOf(DOMAIN).getByRole('button', { name: `Yes, delete tenant ${DOMAIN}` }).click();
  await rowOf(DOMAIN).waitFor({ state: 'detached', timeout: 5000 });
  check((await tenantApi(DOMAIN)).status === 404, 'the deleted tenant is still in the API');
  await page.waitForFunction((d) => ![...document.querySelectorAll('#tenant option')].some((o) => o.value === d),
    DOMAIN, { timeout: 5000 });
  check(await page.locator('#tenant').inputValue() === env.domain, 'the picker did not fall back to the demo tenant');

  // A tenant admin has no Tenants page, and the API refuses it tenants.
  const { page: desk, problems: deskProblems } = await openPage(browser, { name: 'desk' });
  await desk.goto(env.url + '/admin#tenants', { waitUntil: 'load' });
  await signIn(desk, deskName, deskPassword);
  await desk.getByRole('heading', { name: `Extensions of ${env.domain}` }).waitFor({ timeout: 10_000 });
  check(await desk.getByRole('link', { name: 'Tenants' }).count() === 0, 'a tenant admin is offered the Tenants page');
  check(await desk.getByRole('heading', { name: 'Tenants', exact: true }).count() === 0, 'a tenant admin sees the tenants');
  const session = await (await desk.request.get(`${env.url}/api/v1/session`)).json();
  const refused = await desk.request.post(`${env.url}/api/v1/tenants`, {
    data: { domain: 'desk.example' }, headers: { 'X-CSRF-Token': session.csrf_token },
  });
  check(refused.status() === 403, `a tenant admin's POST /tenants answered ${refused.status()}`);
  check((await tenantApi('desk.example')).status === 404, 'the tenant admin created a tenant');

  // The refused creates (400, 409) are expected and the browser logs them; nothing else.
  const unexpected = [...problems.filter((p) => !/status of 40[09]/.test(p)), ...deskProblems,
    ...(await cspViolations(page)), ...(await cspViolations(desk))];
  check(unexpected.length === 0, unexpected.join('\n'));
});
