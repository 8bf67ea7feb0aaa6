// Issue 5: the choice of microphone and speaker. With Chromium's fake devices and the
// microphone allowed, the Audio devices settings list the fake inputs and outputs by name;
// 1001 picks the last of each; after a reload and a new sign-in both lists still show that
// choice (kept in localStorage). Screenshot: devices.png.
import { check, env, openPage, run, screenshot, signIn, waitUntilReady } from './browser.mjs';

async function options(select) {
  return select.locator('option').evaluateAll((list) =>
    list.map((o) => ({ value: o.value, label: (o.textContent ?? '').trim() })).filter((o) => o.value));
}

// The lists fill once enumerateDevices answers: wait up to 5 s for a named device.
async function listed(page, label) {
  const select = page.getByLabel(label, { exact: true });
  const deadline = Date.now() + 5000;
  let found = [];
  while (Date.now() < deadline) {
    found = await options(select);
    if (found.length > 0) break;
    await page.waitForTimeout(100);
  }
  return { select, found };
}

await run('microphone and speaker choice', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  await signIn(a.page, '1001', env.password);
  await waitUntilReady(a.page, '1001');

  const microphones = await listed(a.page, 'Microphone');
  const speakers = await listed(a.page, 'Speaker');
  console.log(`microphones: ${microphones.found.map((o) => o.label).join(', ')}`);
  console.log(`speakers: ${speakers.found.map((o) => o.label).join(', ')}`);
  check(microphones.found.length >= 2, 'fewer than two microphones listed (Chromium exposes fake ones)');
  check(speakers.found.length >= 2, 'fewer than two speakers listed (Chromium exposes fake ones)');
  check(microphones.found.every((o) => /fake/i.test(o.label)),
    `the microphones are not listed by name: ${microphones.found.map((o) => o.label).join(', ')}`);
  const microphone = microphones.found.at(-1);
  const speaker = speakers.found.at(-1);
  await microphones.select.selectOption(microphone.value);
  await speakers.select.selectOption(speaker.value);
  await screenshot(a.page, 'devices.png');
  check(a.problems.length === 0, a.problems.join('\n'));

  await a.page.reload({ waitUntil: 'load' });
  await a.page.getByLabel('Password').fill(env.password);
  const extension = a.page.getByLabel('Extension');
  if (!(await extension.inputValue())) await extension.fill(`1001@${env.domain}`);
  await a.page.getByRole('button', { name: 'Sign in' }).click();
  await waitUntilReady(a.page, '1001 after the reload');
  const again = await listed(a.page, 'Microphone');
  check(again.found.length >= 2, 'no microphones listed after the reload');
  const shownMicrophone = await again.select.inputValue();
  const shownSpeaker = await a.page.getByLabel('Speaker', { exact: true }).inputValue();
  check(shownMicrophone === microphone.value,
    `after the reload the microphone is "${shownMicrophone}", chosen "${microphone.label}" (${microphone.value})`);
  check(shownSpeaker === speaker.value,
    `after the reload the speaker is "${shownSpeaker}", chosen "${speaker.label}" (${speaker.value})`);
  check(a.problems.length === 0, a.problems.join('\n'));
});
