// Shared steps of the scenarios in which a browser calls what Parley answers itself or is picked
// up (decision 0043): a browser whose fake microphone plays BROWSER_TONE, dialling a number from
// the keypad, waiting for the first audio, and the admin API for set-up and stored audio.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, env, inboundAudio, openPage, signIn, waitForCallStatus, waitUntilReady,
} from './browser.mjs';
import { installToneHelpers, writeToneWav } from './tones.mjs';

export const BROWSER_TONE = 1000; // Hz, what the browser's microphone plays
export const PHONE_TONE = 440;    // Hz, what the Python phones send (sip_peer.py talk --send)

/** Launch options for run(): the fake microphone plays BROWSER_TONE. */
export function toneLaunch() {
  const file = join(tmpdir(), `parley-browser-tone-${process.pid}.wav`);
  writeToneWav(file, BROWSER_TONE);
  return { audioFile: file };
}

/** A signed-in, registered softphone page for `extension` with the tone helpers installed. */
export async function tonePhone(browser, extension) {
  const opened = await openPage(browser, { name: extension });
  await installToneHelpers(opened.context);
  await signIn(opened.page, extension, env.password);
  await waitUntilReady(opened.page, extension);
  return opened;
}

/** Dials `number` from the Keypad tab and waits until the call is up and audio arrives. */
export async function dialAndWaitForAudio(page, number) {
  await page.getByRole('tab', { name: 'Keypad' }).click();
  await page.getByLabel('Number or extension').fill(number);
  await page.getByRole('button', { name: 'Call number' }).click();
  await waitForCallStatus(page, 'the browser', /In call/, 10_000);
  await waitForAudio(page);
}

/** Waits up to 10 s for the first inbound RTP of the current call (ICE and DTLS-SRTP are up). */
export async function waitForAudio(page) {
  const deadline = Date.now() + 10_000;
  let audio = await inboundAudio(page);
  while ((audio === null || audio.packets === 0) && Date.now() < deadline) {
    await page.waitForTimeout(100);
    audio = await inboundAudio(page);
  }
  check(audio !== null && audio.packets > 0, 'the browser got no inbound audio within 10 s');
  return audio;
}

/** Hangs up the current call and waits for the call panel to go. */
export async function hangUp(page) {
  const call = page.getByRole('region', { name: 'Current call' });
  await call.getByRole('button', { name: 'Hang up' }).click();
  await call.waitFor({ state: 'detached', timeout: 5000 });
}

/** The REST API as the system admin: get(path) and change(method, path, data) under the tenant. */
export async function adminApi(browser) {
  const { page } = await openPage(browser, { name: 'api' });
  const signedIn = await page.request.post(`${env.url}/api/v1/session`,
    { data: { username: env.adminName, password: env.adminPassword } });
  check(signedIn.status() === 200, `API sign-in as ${env.adminName}: ${signedIn.status()}`);
  const csrf = (await signedIn.json()).csrf_token;
  const base = `${env.url}/api/v1/tenants/${env.domain}`;
  return {
    async get(path) {
      const response = await page.request.get(base + path);
      return { status: response.status(), body: await response.json().catch(() => null) };
    },
    async bytes(path) {
      const response = await page.request.get(base + path);
      return { status: response.status(), body: await response.body() };
    },
    async change(method, path, data) {
      const response = await page.request.fetch(base + path, { method, data, headers: { 'X-CSRF-Token': csrf } });
      return { status: response.status(), body: await response.json().catch(() => null) };
    },
  };
}
