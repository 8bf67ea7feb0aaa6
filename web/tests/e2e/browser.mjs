// Shared set-up for the browser tests: Debian's Chromium driven by playwright-core (never a
// downloaded browser), fake microphone and camera, the server's self-signed certificate
// accepted, and every console error and Content-Security-Policy violation recorded.
//
// Each scenario is a Node script run by tests/browser/browser_test.py with:
//   PARLEY_URL        https://127.0.0.1:PORT of a running `parley serve`
//   PARLEY_ARTIFACTS  folder for screenshots
//   PARLEY_PASSWORD   password of the provisioned extensions (1001, 1002)
//   PARLEY_DOMAIN     their tenant domain
//   PARLEY_ADMIN_NAME / PARLEY_ADMIN_PASSWORD   a system admin (parley admin add)
//   PARLEY_SIP_CALL   with --sip-calls: JSON array, the command placing a SIP call (sip_call.py)
//   PARLEY_SIP_PEER   with --sip-peer: JSON array, the command running Python phones (sip_peer.py)
//   PARLEY_SERVER_CONTROL  with --server-control: URL whose POST /stop and /start stop and
//                     restart `parley serve` (same ports, same data)
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const env = {
  url: required('PARLEY_URL'),
  artifacts: process.env.PARLEY_ARTIFACTS || 'artifacts',
  password: process.env.PARLEY_PASSWORD || '',
  domain: process.env.PARLEY_DOMAIN || 'parley.local',
  adminName: process.env.PARLEY_ADMIN_NAME || '',
  adminPassword: process.env.PARLEY_ADMIN_PASSWORD || '',
  chromium: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium',
};

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through tests/browser/browser_test.py)`);
  return value;
}

export class TestFailure extends Error {}

// Pages of the running scenario: on failure each is saved as failure-<name>.png with its alerts.
const openPages = [];
// Child processes and the like to end when the scenario ends, whatever happened.
const cleanups = [];

export function check(condition, message) {
  if (!condition) throw new TestFailure(message);
}

/**
 * Chromium with fake devices. `microphone: 'denied'` answers every permission prompt with a
 * denial instead of accepting it, so a page without the permission gets NotAllowedError.
 * `audioFile` (a 16-bit WAV) is what the fake microphone plays, in a loop.
 */
export async function launch({ microphone = 'granted', audioFile = null } = {}) {
  mkdirSync(env.artifacts, { recursive: true });
  const acceptPrompts = microphone === 'denied'
    ? ['--deny-permission-prompts']
    : ['--use-fake-ui-for-media-stream'];
  return chromium.launch({
    executablePath: env.chromium,
    headless: true,
    timeout: 20_000,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...acceptPrompts,
      '--use-fake-device-for-media-stream',
      ...(audioFile ? [`--use-file-for-fake-audio-capture=${audioFile}`] : []),
      '--allow-loopback-in-peer-connection',
      '--ignore-certificate-errors',
      '--autoplay-policy=no-user-gesture-required',
    ],
    // Playwright mutes audio by default; getStats audioLevel stays 0 on a muted page.
    ignoreDefaultArgs: ['--mute-audio'],
  });
}

/**
 * A fresh browser context (own cookies) at `viewport`, with a page whose console errors, page
 * errors and CSP violations are collected in `problems`, and whose RTCPeerConnections are kept
 * in window.__parleyTestPeers for getStats (test-only: injected by Playwright, not by the app).
 */
export async function openPage(browser, {
  viewport = { width: 1280, height: 800 }, name = 'page', permissions = ['microphone'],
} = {}) {
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: true, permissions });
  await context.addInitScript(() => {
    window.__parleyCsp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__parleyCsp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
    const Native = window.RTCPeerConnection;
    if (Native) {
      window.__parleyTestPeers = [];
      window.RTCPeerConnection = function (...args) {
        const pc = new Native(...args);
        window.__parleyTestPeers.push(pc);
        return pc;
      };
      window.RTCPeerConnection.prototype = Native.prototype;
      Object.setPrototypeOf(window.RTCPeerConnection, Native);
    }
  });
  const page = await context.newPage();
  openPages.push({ page, name });
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${name} console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${name} page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? '';
    // A navigation away aborts pending requests: not a problem of the app.
    if (!failure.includes('ERR_ABORTED')) problems.push(`${name} request failed: ${request.url()} ${failure}`);
  });
  return { context, page, problems };
}

export async function cspViolations(page) {
  return page.evaluate(() => window.__parleyCsp ?? []);
}

export async function screenshot(page, file) {
  const path = join(env.artifacts, file);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/**
 * Fails clearly when an API endpoint the scenario needs is not there yet. Asked through
 * Playwright's request API (the context's cookies, no console error for an expected 401).
 */
export async function requireEndpoint(page, method, path) {
  let status = 0;
  try {
    status = (await page.request.fetch(env.url + path, { method, ignoreHTTPSErrors: true })).status();
  } catch {
    status = 0;
  }
  check(status !== 404 && status !== 0 && status !== 405,
    `${method} ${path} answered ${status || 'nothing'}: the REST API endpoint is missing on this server`);
  return status;
}

export async function signIn(page, extension, password) {
  await page.goto(env.url + '/', { waitUntil: 'load' });
  await page.getByLabel('Extension').fill(`${extension}@${env.domain}`);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Runs a scenario: prints PASS/FAIL and sets the exit code; the browser is always closed. */
export async function run(name, scenario, launchOptions = {}) {
  const browser = await launch(launchOptions);
  const started = Date.now();
  try {
    await scenario(browser);
    console.log(`PASS: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    console.log(`FAIL: ${name}: ${error instanceof TestFailure ? error.message : error.stack}`);
    process.exitCode = 1;
    for (const open of openPages) {
      if (open.page.isClosed()) continue;
      const alerts = await open.page.getByRole('alert').allTextContents().catch(() => []);
      if (alerts.length) console.log(`${open.name} shows: ${alerts.join(' / ')}`);
      await screenshot(open.page, `failure-${open.name}.png`).catch(() => undefined);
    }
  } finally {
    for (const cleanup of cleanups) cleanup();
    await browser.close();
  }
}

// --- call helpers (the softphone's own accessible names) ---

/** Waits up to 15 s for "Ready" in the phone status; fails with the page's alerts otherwise. */
export async function waitUntilReady(page, who) {
  try {
    await page.getByRole('status', { name: 'Phone status' }).filter({ hasText: 'Ready' }).waitFor({ timeout: 15_000 });
  } catch {
    const alerts = await page.getByRole('alert').allTextContents();
    check(false, `${who} did not register: ${alerts.join(' / ') || 'no message'}`);
  }
}

/** Inbound audio of the page's latest open peer connection: packets, level, energy, codec. */
export async function inboundAudio(page) {
  return page.evaluate(async () => {
    const peers = (window.__parleyTestPeers ?? []).filter((pc) => pc.connectionState !== 'closed');
    if (peers.length === 0) return null;
    const stats = await peers[peers.length - 1].getStats();
    for (const report of stats.values()) {
      if (report.type === 'inbound-rtp' && report.kind === 'audio') {
        return {
          packets: report.packetsReceived ?? 0,
          level: report.audioLevel ?? 0,
          energy: report.totalAudioEnergy ?? 0,
          codec: stats.get(report.codecId)?.mimeType ?? '',
        };
      }
    }
    return null;
  });
}

/** Waits until the "Current call" status text matches `pattern`. */
export async function waitForCallStatus(page, who, pattern, timeout = 5000) {
  const region = page.getByRole('region', { name: 'Current call' });
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await region.getByRole('status').textContent().catch(() => '')) ?? '';
    if (pattern.test(last)) return;
    await page.waitForTimeout(100);
  }
  check(false, `${who}: call status "${last}" never matched ${pattern}`);
}

// --- far ends and server control (browser_test.py --sip-peer, --server-control) ---

/**
 * Starts tests/browser/sip_peer.py with `args` (a mode and its options). `next(event)` waits for
 * the next JSON line with that "event" (skipping others); `done()` waits for the last line
 * ({"event": "done", "ok", "problems", ...}) and the exit. Everything it printed is kept for a
 * failure message; the process is killed when the scenario ends.
 */
export function sipPeer(args) {
  const command = process.env.PARLEY_SIP_PEER;
  check(command, 'PARLEY_SIP_PEER is not set: register the scenario with SIP_PEER (browser_test.py --sip-peer)');
  const [program, ...base] = JSON.parse(command);
  const child = spawn(program, [...base, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = [];
  let output = '';
  let exited = null;
  const deliver = () => {
    for (const waiter of [...waiters]) {
      const index = lines.findIndex((line) => line.event === waiter.event);
      if (index >= 0) {
        const [line] = lines.splice(index, 1);
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      } else if (exited !== null) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.reject(new TestFailure(`sip_peer.py ${args[0]} exited (${exited}) before "${waiter.event}":\n${output}`));
      }
    }
  };
  let partial = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    partial += chunk;
    const complete = partial.split('\n');
    partial = complete.pop();
    for (const text of complete) {
      try {
        lines.push(JSON.parse(text));
      } catch {
        // not a JSON line: only kept in `output`
      }
    }
    deliver();
  });
  child.stderr.on('data', (chunk) => { output += chunk; });
  child.on('exit', (code) => {
    exited = code;
    deliver();
  });
  cleanups.push(() => { if (exited === null) child.kill(); });
  const next = (event, timeout = 20_000) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const index = waiters.findIndex((w) => w.resolve === done);
      if (index >= 0) waiters.splice(index, 1);
      reject(new TestFailure(`sip_peer.py ${args[0]}: no "${event}" within ${timeout / 1000} s:\n${output}`));
    }, timeout);
    const done = (line) => { clearTimeout(timer); resolve(line); };
    waiters.push({ event, resolve: done, reject: (e) => { clearTimeout(timer); reject(e); } });
    deliver();
  });
  return {
    next,
    output: () => output,
    async done(timeout = 20_000) {
      const last = await next('done', timeout);
      check(last.ok, `sip_peer.py ${args[0]}: ${(last.problems ?? []).join('; ')}`);
      return last;
    },
  };
}

/** POST /stop or /start to the harness (--server-control); resolves when that happened. */
export async function serverControl(action) {
  const url = process.env.PARLEY_SERVER_CONTROL;
  check(url, 'PARLEY_SERVER_CONTROL is not set: register the scenario with SERVER_CONTROL');
  const response = await fetch(`${url}/${action}`, { method: 'POST' });
  const text = await response.text();
  check(response.ok, `server ${action} failed: ${text}`);
  return text;
}
