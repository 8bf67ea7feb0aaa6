// Issue 9: conference rooms, call queues and recordings in the admin console, by a tenant admin
// (browser_test.py --tenant-admin: "desk", an admin of parley.local only). First the system
// admin, over the API, makes a second tenant other.example with room 880 and queue 780. Then
// the tenant admin opens Conference rooms, sees the API's refusal of 500 participants beside
// that field and the page's refusal of a moderator PIN equal to the room PIN beside that one,
// creates room 800 with a PIN and a moderator PIN and changes it in place (a short PIN refused
// by the page and 200 participants by the API, each beside its field, before a change of name,
// PIN and cap that also removes the moderator PIN); opens Call queues, creates queue 700 (round-robin,
// members 1001 and 1002, voicemail fallback) and changes it (members, longest wait); the API
// reads each back as the page showed it (the PIN never). The other tenant's room and queue
// answer 404 to the tenant admin (and 200 to the system admin: they exist). The recordings page
// loads; the room is deleted in the page and is gone from the API.
// Screenshots: admin-room-error.png, admin-rooms.png, admin-room-edit-error.png, admin-room-edit.png,
// admin-queues.png, admin-recordings.png.
import { check, cspViolations, env, openPage, run, screenshot } from './browser.mjs';

const OTHER = 'other.example';

async function signInOverApi(page, name, password) {
  const response = await page.request.post(`${env.url}/api/v1/session`, { data: { username: name, password } });
  check(response.status() === 200, `API sign-in of ${name} answered ${response.status()}`);
  return (await response.json()).csrf_token;
}

await run('admin: a tenant admin creates a conference room and a call queue', async (browser) => {
  const name = process.env.PARLEY_TENANT_ADMIN_NAME;
  const password = process.env.PARLEY_TENANT_ADMIN_PASSWORD;
  check(name && password, 'PARLEY_TENANT_ADMIN_NAME is not set: register the scenario with TENANT_ADMIN');

  // The system admin makes another tenant with a room and a queue of its own.
  const { page: rootPage } = await openPage(browser, { name: 'root' });
  const csrf = await signInOverApi(rootPage, env.adminName, env.adminPassword);
  const asRoot = (method, path, data) => rootPage.request.fetch(`${env.url}/api/v1${path}`, {
    method, data, headers: { 'X-CSRF-Token': csrf },
  });
  for (const [path, data] of [['/tenants', { domain: OTHER }],
    [`/tenants/${OTHER}/conference-rooms`, { number: '880' }],
    [`/tenants/${OTHER}/queues`, { number: '780' }]]) {
    const made = await asRoot('POST', path, data);
    check(made.status() === 201, `system admin POST ${path}: ${made.status()} ${await made.text()}`);
  }

  const { page, problems } = await openPage(browser, { name: 'desk' });
  await page.goto(env.url + '/admin#rooms', { waitUntil: 'load' });
  await page.getByLabel('Admin name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: `Conference rooms of ${env.domain}` }).waitFor({ timeout: 10_000 });
  check(await page.getByLabel('Tenant').count() === 0, 'a tenant admin is offered the tenant picker');
  await page.getByText('No conference rooms yet.').waitFor({ timeout: 5000 });

  const api = async (path) => {
    const response = await page.request.get(`${env.url}/api/v1/tenants/${env.domain}${path}`);
    return { status: response.status(), body: await response.json().catch(() => null) };
  };

  // The server refuses 500 participants; the page shows why beside that field.
  const roomForm = page.getByRole('form', { name: 'New conference room' });
  await roomForm.getByLabel('Number', { exact: true }).fill('800');
  await roomForm.getByLabel('Name').fill('All hands');
  await roomForm.getByLabel('PIN', { exact: true }).fill('2468');
  const moderatorPin = roomForm.getByLabel('Moderator PIN');
  // Checked in the page as the API checks it: not the room PIN, 4 to 8 digits.
  await moderatorPin.fill('2468');
  await roomForm.getByRole('button', { name: 'Create conference room' }).click();
  const moderatorError = page.locator('#room-moderator-pin-error');
  await moderatorError.waitFor({ timeout: 5000 });
  check(/differ/.test(await moderatorError.textContent()),
    `the moderator PIN error reads "${await moderatorError.textContent()}"`);
  check(await moderatorPin.getAttribute('aria-invalid') === 'true', 'Moderator PIN is not marked invalid');
  await moderatorPin.fill('12');
  await roomForm.getByRole('button', { name: 'Create conference room' }).click();
  await page.getByText('A moderator PIN is 4 to 8 digits, or leave it empty.').waitFor({ timeout: 5000 });
  check((await api('/conference-rooms/800')).status === 404, 'a room with a refused moderator PIN was stored');
  await moderatorPin.fill('13579');
  await roomForm.getByLabel('Most participants').fill('500');
  await roomForm.getByRole('button', { name: 'Create conference room' }).click();
  const capError = page.locator('#room-cap-error');
  await capError.waitFor({ timeout: 5000 });
  check(/128/.test(await capError.textContent()), `the cap error reads "${await capError.textContent()}"`);
  check(await roomForm.getByLabel('Most participants').getAttribute('aria-invalid') === 'true',
    'Most participants is not marked invalid');
  check((await api('/conference-rooms/800')).status === 404, 'a refused room was stored');
  await screenshot(page, 'admin-room-error.png');

  await roomForm.getByLabel('Most participants').fill('20');
  await roomForm.getByRole('button', { name: 'Create conference room' }).click();
  const roomRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '800', exact: true }) });
  await roomRow.waitFor({ timeout: 5000 });
  const roomText = await roomRow.textContent();
  check(roomText.includes('All hands') && roomText.includes('Required') && roomText.includes('Set') &&
    roomText.includes('up to 20'), `the room row reads "${roomText}"`);
  const room = await api('/conference-rooms/800');
  check(room.status === 200 && room.body.name === 'All hands' && room.body.has_pin === true &&
    room.body.has_moderator_pin === true && !('moderator_pin' in room.body) &&
    room.body.max_participants === 20 && !('pin' in room.body), `the API has room ${JSON.stringify(room)}`);
  await screenshot(page, 'admin-rooms.png');

  // The room changed in place (decision 0054): the page refuses a short PIN beside its field,
  // the API refuses 200 participants beside that one (nothing changes), then the name, PIN, cap
  // and moderator PIN change in one request.
  await roomRow.getByRole('button', { name: 'Change room 800' }).click();
  const roomChange = page.getByRole('form', { name: 'Change room 800' });
  check(await roomChange.getByLabel('Name').inputValue() === 'All hands', 'the change form does not show the name');
  check(await roomChange.getByLabel('New PIN', { exact: true }).inputValue() === '', 'the change form shows a PIN');
  await roomChange.getByLabel('Name').fill('All hands weekly');
  await roomChange.getByLabel('New PIN', { exact: true }).fill('12');
  await roomChange.getByRole('button', { name: 'Save room' }).click();
  const newPinError = page.locator('#room-edit-pin-error');
  await newPinError.waitFor({ timeout: 5000 });
  check(/4 to 8 digits/.test(await newPinError.textContent()), `the PIN error reads "${await newPinError.textContent()}"`);
  await roomChange.getByLabel('New PIN', { exact: true }).fill('97531');
  await roomChange.getByLabel('Most participants').fill('200');
  await roomChange.getByRole('button', { name: 'Save room' }).click();
  const editCapError = page.locator('#room-edit-cap-error');
  await editCapError.waitFor({ timeout: 5000 });
  check(/128/.test(await editCapError.textContent()), `the change's cap error reads "${await editCapError.textContent()}"`);
  check(await roomChange.getByLabel('Most participants').getAttribute('aria-invalid') === 'true',
    'Most participants of the change is not marked invalid');
  let changed = await api('/conference-rooms/800');
  check(changed.body?.name === 'All hands' && changed.body?.max_participants === 20,
    `a refused change was stored: ${JSON.stringify(changed.body)}`);
  await screenshot(page, 'admin-room-edit-error.png');
  await roomChange.getByLabel('Most participants').fill('30');
  await roomChange.getByLabel('Remove the moderator PIN').check();
  await roomChange.getByRole('button', { name: 'Save room' }).click();
  await page.getByText('Conference room 800 was changed.').waitFor({ timeout: 5000 });
  // The notice comes with the answer; the table follows once the list is read again.
  await roomRow.filter({ hasText: 'All hands weekly' }).waitFor({ timeout: 5000 }).catch(() => {});
  const changedText = await roomRow.textContent();
  check(changedText.includes('All hands weekly') && changedText.includes('up to 30'),
    `the room row after the change reads "${changedText}"`);
  changed = await api('/conference-rooms/800');
  check(changed.status === 200 && changed.body.name === 'All hands weekly' && changed.body.max_participants === 30 &&
    changed.body.has_pin === true && changed.body.has_moderator_pin === false && !('pin' in changed.body),
    `the API has the changed room ${JSON.stringify(changed)}`);
  await screenshot(page, 'admin-room-edit.png');

  // A call queue, created and then changed in the page.
  await page.getByRole('link', { name: 'Call queues' }).click();
  await page.getByRole('heading', { name: `Call queues of ${env.domain}` }).waitFor({ timeout: 5000 });
  const queueForm = page.getByRole('form', { name: 'New call queue' });
  await queueForm.getByLabel('Number', { exact: true }).fill('700');
  await queueForm.getByLabel('Name').fill('Support');
  await queueForm.getByLabel('Ring', { exact: true }).selectOption('round-robin');
  await queueForm.getByLabel('Ring time (seconds)').fill('20');
  await queueForm.getByLabel('Members').fill('1001, 1002');
  await queueForm.getByLabel('When the wait ends').fill('voicemail:1002');
  await queueForm.getByRole('button', { name: 'Create call queue' }).click();
  const queueRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '700', exact: true }) });
  await queueRow.waitFor({ timeout: 5000 });
  const queueText = await queueRow.textContent();
  check(queueText.includes('Support') && queueText.includes('Each member in turn') && queueText.includes('1001, 1002'),
    `the queue row reads "${queueText}"`);
  let queue = await api('/queues/700');
  check(queue.status === 200 && queue.body.strategy === 'round-robin' && queue.body.ring_timeout_seconds === 20 &&
    JSON.stringify(queue.body.members) === '["1001","1002"]' && queue.body.fallback === 'voicemail:1002',
    `the API has queue ${JSON.stringify(queue)}`);

  await queueRow.getByRole('button', { name: 'Change queue 700' }).click();
  const change = page.getByRole('form', { name: 'Change queue 700' });
  await change.getByLabel('Members').fill('1002');
  await change.getByLabel('Longest wait (seconds)').fill('60');
  await change.getByRole('button', { name: 'Save queue' }).click();
  await page.getByText('Queue 700 was changed.').waitFor({ timeout: 5000 });
  queue = await api('/queues/700');
  check(JSON.stringify(queue.body?.members) === '["1002"]' && queue.body?.max_wait_seconds === 60 &&
    queue.body?.strategy === 'round-robin', `the queue after the change: ${JSON.stringify(queue.body)}`);
  await screenshot(page, 'admin-queues.png');

  // Another tenant's room and queue: 404 for the tenant admin, though they exist.
  for (const path of [`/tenants/${OTHER}/conference-rooms`, `/tenants/${OTHER}/conference-rooms/880`,
    `/tenants/${OTHER}/queues/780`, `/tenants/${OTHER}/recordings`]) {
    const foreign = await page.request.get(`${env.url}/api/v1${path}`);
    check(foreign.status() === 404, `the tenant admin's GET ${path} answered ${foreign.status()}`);
    const root = await asRoot('GET', path);
    check(root.status() === 200, `the system admin's GET ${path} answered ${root.status()}`);
  }

  await page.getByRole('link', { name: 'Recordings' }).click();
  await page.getByText('No recordings.').waitFor({ timeout: 5000 });
  await screenshot(page, 'admin-recordings.png');

  await page.getByRole('link', { name: 'Conference rooms' }).click();
  await roomRow.getByRole('button', { name: 'Delete conference room 800' }).click();
  await roomRow.getByRole('button', { name: 'Yes, delete conference room 800' }).click();
  await page.getByText('No conference rooms yet.').waitFor({ timeout: 5000 });
  check((await api('/conference-rooms/800')).status === 404, 'the deleted room is still in the API');

  // The refused create (400) is expected and the browser logs it; anything else is a problem.
  const unexpected = [...problems.filter((p) => !/status of 400/.test(p)), ...(await cspViolations(page))];
  check(unexpected.length === 0, unexpected.join('\n'));
});
