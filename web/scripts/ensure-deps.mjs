// Installs web/node_modules with `npm ci` only when package-lock.json changed since the last
// install (its SHA-256 is kept in node_modules/.parley-lock.sha256), so several build folders
// share one install and a rebuild never reaches the registry. Install scripts of packages are
// never run (--ignore-scripts): nothing from the registry executes during the install.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const here = new URL('..', import.meta.url);
const lock = readFileSync(new URL('package-lock.json', here));
const want = createHash('sha256').update(lock).digest('hex');
const marker = new URL('node_modules/.parley-lock.sha256', here);
const have = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';

if (have === want) process.exit(0);
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
execFileSync(
  npm[0],
  [...npm.slice(1), 'ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'],
  { cwd: here, stdio: 'inherit' },
);
writeFileSync(marker, want + '\n');
