// scripts/add-sri.mjs on small hand-made build folders: hashes must match the files, inline
// scripts and styles must be refused, and the service worker's shell list must be filled.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = new URL('../../scripts/add-sri.mjs', import.meta.url).pathname;
const folders = [];

function fakeBuild(html) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sri-'));
  folders.push(dir);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1);\n');
  writeFileSync(join(dir, 'assets', 'app-1.css'), 'body{}\n');
  writeFileSync(join(dir, 'sw.js'), "const VERSION = '__PARLEY_SHELL_VERSION__';\nconst SHELL = /* shell files */ ['/'];\n");
  writeFileSync(join(dir, 'index.html'), html);
  return dir;
}

function runSri(dir) {
  try {
    execFileSync(process.execPath, [script, dir], { stdio: 'pipe' });
    return { ok: true, stderr: '' };
  } catch (error) {
    return { ok: false, stderr: String(error.stderr) };
  }
}

const sha384 = (text) => 'sha384-' + createHash('sha384').update(text).digest('base64');

afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('add-sri', () => {
  it('adds the right integrity and crossorigin to scripts, stylesheets and preloads', () => {
    const dir = fakeBuild(
      '<html><head><script type="module" src="/assets/app-1.js"></script>' +
        '<link rel="stylesheet" href="/assets/app-1.css"><link rel="modulepreload" href="/assets/app-1.js">' +
        '<link rel="icon" href="/x.svg"></head></html>',
    );
    expect(runSri(dir).ok).toBe(true);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    const js = sha384('console.log(1);\n');
    expect(html).toContain(`src="/assets/app-1.js" integrity="${js}" crossorigin="anonymous">`);
    expect(html).toContain(`href="/assets/app-1.css" integrity="${sha384('body{}\n')}" crossorigin="anonymous">`);
    expect(html).toContain(`rel="modulepreload" href="/assets/app-1.js" integrity="${js}"`);
    expect(html).toContain('<link rel="icon" href="/x.svg">');
    expect(readFileSync(join(dir, 'admin', 'index.html'), 'utf8')).toBe(html);
    const sw = readFileSync(join(dir, 'sw.js'), 'utf8');
    expect(sw).toContain('"/assets/app-1.js"');
    expect(sw).not.toContain('__PARLEY_');
  });

  it('is idempotent: a second run gives the same bytes', () => {
    const dir = fakeBuild('<html><head><script type="module" src="/assets/app-1.js"></script></head></html>');
    runSri(dir);
    const first = readFileSync(join(dir, 'index.html'), 'utf8');
    writeFileSync(join(dir, 'sw.js'), "const VERSION = '__PARLEY_SHELL_VERSION__';\nconst SHELL = /* shell files */ ['/'];\n");
    runSri(dir);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe(first);
  });

  it('refuses inline scripts, inline styles and missing files', () => {
    expect(runSri(fakeBuild('<html><script>alert(1)</script></html>')).stderr).toMatch(/inline script/);
    expect(runSri(fakeBuild('<html><style>body{}</style><script src="/assets/app-1.js"></script></html>')).stderr).toMatch(/inline style/);
    expect(runSri(fakeBuild('<html><body onload="x()"><script src="/assets/app-1.js"></script></html>')).stderr).toMatch(/event handler/);
    expect(runSri(fakeBuild('<html><script src="/assets/gone.js"></script></html>')).ok).toBe(false);
    expect(runSri(fakeBuild('<html><script src="https://cdn.example/x.js"></script></html>')).stderr).toMatch(/same-origin/);
  });
});
