// Issue 9: ring groups in the admin console, by a tenant admin (browser_test.py --tenant-admin:
// "desk", an admin of parley.local only). The admin opens Ring groups, sees the API's
// validation error beside the Members field (an unknown extension), creates group 600 ringing
// 1002 for 10 s; then SIPp registers as 1001 and dials 600, and a Python phone registered as
// 1002 must get that call and answer it (tests/browser/sip_call.py --dial). The members are
// changed in the page (1001, 1002) and the API reads them back; then the whole group is changed
// in its form (a refused final destination shown beside its field first, nothing stored), and
// the API reads back the new name, strategy, ring time and final destination. The group is
// deleted and is gone from page and API. The admin sees no tenant picker. Run with --sip-calls.
// Screenshots: admin-ring-groups.png, admin-ring-group-error.png, admin-ring-group-edit.png,
// admin-forwarding.png.
import { execFile } from 'node:child_process';
import { check, cspViolations, env, openPage, run, screenshot } from './browser.mjs';

const GROUP = '600';

function callThroughGroup() {
  const command = JSON.parse(process.env.PARLEY_SIP_CALL || 'null');
  check(Array.isArray(command), 'PARLEY_SIP_CALL is not set: run browser_test.py with --sip-calls');
  const args = [...command.slice(1), '--caller', '1001', '--caller-password', env.password,
    '--callee', '1002', '--callee-password', env.password, '--dial', GROUP];
  return new Promise((resolve, reject) => {
    execFile(command[0], args, { timeout: 40_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`the call to ring group ${GROUP} failed (${error.code ?? error.signal}):\n${stdout}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

await run('admin: a tenant admin creates a ring group that rings its member', async (browser) => {
  const name = process.env.PARLEY_TENANT_ADMIN_NAME;
  const password = process.env.PARLEY_TENANT_ADMIN_PASSWORD;
  check(name && password, 'PARLEY_TENANT_ADMIN_NAME is not set: register the scenario with TENANT_ADMIN');
  const { page, problems } = await openPage(browser, { name: 'desk' });
  await page.goto(env.url + '/admin#ring-groups', { waitUntil: 'load' });
  await page.getByLabel('Admin name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: `Ring groups of ${env.domain}` }).waitFor({ timeout: 10_000 });
  check(await page.getByLabel('Tenant').count() === 0, 'a tenant admin is offered the tenant picker');
  await page.getByText('No ring groups yet.').waitFor({ timeout: 5000 });

  const api = async (path) => {
    const response = await page.request.get(`${env.url}/api/v1/tenants/${env.domain}${path}`);
    return { status: response.status(), body: await response.json().catch(() => null) };
  };

  // The store refuses an unknown member; the page shows why beside the Members field.
  const form = page.getByRole('form', { name: 'New ring group' });
  await form.getByLabel('Number', { exact: true }).fill(GROUP);
  await form.getByLabel('Name').fill('Front desk');
  await form.getByLabel('Ring time (seconds)').fill('10');
  await form.getByLabel('Members').fill('1002, 4711');
  await form.getByRole('button', { name: 'Create ring group' }).click();
  const membersError = page.locator('#group-members-error');
  await membersError.waitFor({ timeout: 5000 });
  check((await membersError.textContent()).includes('4711'),
    `the members error does not name 4711: ${await membersError.textContent()}`);
  check(await form.getByLabel('Members').getAttribute('aria-invalid') === 'true', 'Members is not marked invalid');
  check((await api(`/ring-groups/${GROUP}`)).status === 404, 'a refused ring group was stored');
  await screenshot(page, 'admin-ring-group-error.png');

  await form.getByLabel('Members').fill('1002');
  await form.getByRole('button', { name: 'Create ring group' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: GROUP, exact: true }) });
  await row.waitFor({ timeout: 5000 });
  const rowText = await row.textContent();
  check(rowText.includes('Front desk') && rowText.includes('1002') && rowText.includes('10 s'),
    `the ring group row reads "${rowText}"`);
  const stored = await api(`/ring-groups/${GROUP}`);
  check(stored.status === 200 && JSON.stringify(stored.body.members) === '["1002"]' &&
    stored.body.member_timeout_seconds === 10 && stored.body.strategy === 'ring-all',
    `the API has ${JSON.stringify(stored)}`);
  await screenshot(page, 'admin-ring-groups.png');

  // A real call to the group's number reaches its member at once (no restart, no waiting).
  const answered = await callThroughGroup();
  check(answered.answered === true && answered.callee === '1002',
    `the call to ${GROUP} was not answered by 1002: ${JSON.stringify(answered)}`);
  console.log(`SIPp 1001 -> ${GROUP}: rang and answered by 1002 (Call-ID ${answered.call_id})`);

  // Change the members in the page; the API reads back the new list in its order.
  await row.getByRole('button', { name: `Edit members of ${GROUP}` }).click();
  await row.getByLabel(`Members of ${GROUP}`).fill('1001 1002');
  await row.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(
    (g) => [...document.querySelectorAll('tr')].some((tr) => tr.textContent.includes(g) && tr.textContent.includes('1001, 1002')),
    GROUP, { timeout: 5000 });
  const patched = await api(`/ring-groups/${GROUP}`);
  check(JSON.stringify(patched.body?.members) === '["1001","1002"]', `members after the edit: ${JSON.stringify(patched.body)}`);

  // Every setting changed in place (decision 0054): the API's refusal of a final destination
  // that is not a number of the tenant shows beside that field and changes nothing; then the
  // name, strategy, ring time and final destination change in one request.
  await row.getByRole('button', { name: `Change ring group ${GROUP}` }).click();
  const change = page.getByRole('form', { name: `Change ring group ${GROUP}` });
  check(await change.getByLabel('Members').inputValue() === '1001, 1002', 'the change form does not show the members');
  await change.getByLabel('Name').fill('Reception');
  await change.getByLabel('Ring', { exact: true }).selectOption('hunt');
  await change.getByLabel('Ring time (seconds)').fill('20');
  await change.getByLabel('If nobody answers').fill('4242');
  await change.getByRole('button', { name: 'Save ring group' }).click();
  const finalError = page.locator('#group-edit-final-error');
  await finalError.waitFor({ timeout: 5000 });
  check(/4242/.test(await finalError.textContent()), `the final destination error reads "${await finalError.textContent()}"`);
  let group = await api(`/ring-groups/${GROUP}`);
  check(group.body?.name === 'Front desk' && group.body?.strategy === 'ring-all' && group.body?.member_timeout_seconds === 10,
    `a refused change was stored: ${JSON.stringify(group.body)}`);
  await change.getByLabel('If nobody answers').fill('voicemail:1001');
  await change.getByRole('button', { name: 'Save ring group' }).click();
  await page.getByText(`Ring group ${GROUP} was changed.`).waitFor({ timeout: 5000 });
  group = await api(`/ring-groups/${GROUP}`);
  check(group.body?.name === 'Reception' && group.body?.strategy === 'hunt' && group.body?.member_timeout_seconds === 20 &&
    group.body?.final_destination === 'voicemail:1001' && JSON.stringify(group.body?.members) === '["1001","1002"]',
    `the API has the changed group ${JSON.stringify(group.body)}`);
  await screenshot(page, 'admin-ring-group-edit.png');

  // The forwarding page shows an extension's rules; do-not-disturb round-trips through the API.
  await page.getByRole('link', { name: 'Forwarding' }).click();
  await page.getByLabel('Extension', { exact: true }).selectOption('1002');
  const dnd = page.getByLabel('Do not disturb (callers get busy)');
  await dnd.waitFor({ timeout: 5000 });
  await dnd.check();
  let features = await api('/extensions/1002/call-features');
  for (let i = 0; i < 20 && features.body?.dnd !== true; i++) {
    await page.waitForTimeout(100);
    features = await api('/extensions/1002/call-features');
  }
  check(features.body?.dnd === true, `do-not-disturb of 1002 after the click: ${JSON.stringify(features.body)}`);
  await screenshot(page, 'admin-forwarding.png');

  await page.getByRole('link', { name: 'Ring groups' }).click();
  await row.getByRole('button', { name: `Delete ring group ${GROUP}` }).click();
  await row.getByRole('button', { name: `Yes, delete ring group ${GROUP}` }).click();
  await page.getByText('No ring groups yet.').waitFor({ timeout: 5000 });
  check((await api(`/ring-groups/${GROUP}`)).status === 404, 'the deleted ring group is still in the API');

  // The tenant admin cannot reach another tenant's ring groups (404 like a missing tenant).
  const foreign = await page.request.get(`${env.url}/api/v1/tenants/other.example/ring-groups`);
  check(foreign.status() === 404, `another tenant's ring groups answered ${foreign.status()}`);
  // The refused create (400) is expected and the browser logs it; anything else is a problem.
  const unexpected = [...problems.filter((p) => !/status of 400/.test(p)), ...(await cspViolations(page))];
  check(unexpected.length === 0, unexpected.join('\n'));
});
