// Issue 5's call test: two browser contexts sign in as 1001 and 1002; 1001 calls 1002 from the
// contact list; 1002 answers; for 3 s both sides' getStats show inbound audio packets growing
// every second and audio energy above zero; hold and resume reach both sides; hanging up ends
// the call on both. Screenshots: call-incoming.png, call-active.png, call-held.png.
import { check, env, openPage, requireEndpoint, run, screenshot, signIn } from './browser.mjs';

async function ready(page, who) {
  try {
    await page.getByRole('status', { name: 'Phone status' }).filter({ hasText: 'Ready' }).waitFor({ timeout: 15_000 });
  } catch {
    const alerts = await page.getByRole('alert').allTextContents();
    check(false, `${who} did not register: ${alerts.join(' / ') || 'no message'}`);
  }
}

// Inbound audio of the page's (only) call: packets, level, energy.
async function inboundAudio(page) {
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
        };
      }
    }
    return null;
  });
}

async function callStatus(page) {
  return (await page.getByRole('region', { name: 'Current call' }).getByRole('status').textContent()) ?? '';
}

async function waitForStatus(page, who, pattern, timeout = 5000) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = await callStatus(page).catch(() => '');
    if (pattern.test(last)) return;
    await page.waitForTimeout(100);
  }
  check(false, `${who}: call status "${last}" never matched ${pattern}`);
}

await run('two-browser call', async (browser) => {
  const a = await openPage(browser, { name: '1001' });
  const b = await openPage(browser, { name: '1002' });
  await a.page.goto(env.url + '/', { waitUntil: 'load' });
  await requireEndpoint(a.page, 'GET', '/api/v1/session');
  await signIn(a.page, '1001', env.password);
  await signIn(b.page, '1002', env.password);
  await ready(a.page, '1001');
  await ready(b.page, '1002');

  await a.page.getByRole('button', { name: /Call .*\(1002\)/ }).click();
  const incoming = b.page.getByRole('alertdialog', { name: /Incoming call from/ });
  await incoming.waitFor({ timeout: 10_000 });
  await screenshot(b.page, 'call-incoming.png');
  await incoming.getByRole('button', { name: 'Answer' }).click();
  await waitForStatus(a.page, '1001', /In call/, 10_000);
  await waitForStatus(b.page, '1002', /In call/, 10_000);

  // ICE and DTLS take a moment after "In call" (longer on a sanitizer build): wait up to 10 s
  // for the first inbound audio packets on both sides, then sample every 250 ms for 3 s.
  for (const [page, name] of [[a.page, '1001'], [b.page, '1002']]) {
    const deadline = Date.now() + 10_000;
    let first = await inboundAudio(page);
    while ((first === null || first.packets === 0) && Date.now() < deadline) {
      await page.waitForTimeout(100);
      first = await inboundAudio(page);
    }
    check(first !== null && first.packets > 0, `${name} got no inbound audio within 10 s of answer`);
  }
  const samples = { a: [], b: [] };
  for (let i = 0; i <= 12; i++) {
    samples.a.push(await inboundAudio(a.page));
    samples.b.push(await inboundAudio(b.page));
    await a.page.waitForTimeout(250);
  }
  for (const [who, list] of Object.entries(samples)) {
    const name = who === 'a' ? '1001' : '1002';
    check(list.every((s) => s !== null), `${name} has no inbound audio stream in getStats`);
    for (const i of [4, 8, 12]) {
      check(list[i].packets > list[i - 4].packets,
        `${name}: inbound audio packets stopped growing (${list[i - 4].packets} -> ${list[i].packets} in 1 s)`);
    }
    check(list[12].energy > list[0].energy, `${name}: inbound audio energy did not grow (silence)`);
    check(Math.max(...list.map((s) => s.level)) > 0, `${name}: audioLevel stayed 0 for 3 s`);
    const levels = list.map((s) => s.level.toFixed(3)).join(' ');
    console.log(`${name} inbound audio: ${list[0].packets} -> ${list[12].packets} packets in 3 s; levels ${levels}`);
  }
  await screenshot(a.page, 'call-active.png');

  await a.page.getByRole('button', { name: 'Hold' }).click();
  await waitForStatus(a.page, '1001', /On hold/);
  await waitForStatus(b.page, '1002', /Held by the other side/);
  await screenshot(a.page, 'call-held.png');
  await a.page.getByRole('button', { name: 'Resume' }).click();
  await waitForStatus(a.page, '1001', /In call/);
  await waitForStatus(b.page, '1002', /In call/);

  await a.page.getByRole('button', { name: 'Hang up' }).click();
  await a.page.getByRole('region', { name: 'Current call' }).waitFor({ state: 'detached', timeout: 5000 });
  await b.page.getByRole('region', { name: 'Current call' }).waitFor({ state: 'detached', timeout: 5000 });
  const problems = [...a.problems, ...b.problems];
  check(problems.length === 0, problems.join('\n'));
});
