// Runs after `vite build` on the output folder (argument, or PARLEY_WEB_OUT_DIR, or dist):
//  - adds integrity="sha384-..." and crossorigin="anonymous" to every <script src> and every
//    <link rel="stylesheet|modulepreload"> in index.html, and refuses inline scripts and styles;
//  - writes admin/index.html (the /admin route served as a plain file);
//  - fills the service worker's app-shell list and version from the built files;
//  - refuses output that names the build folder (a reproducible bundle carries no paths).
// Deterministic: the same input files give the same bytes.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const outDir = resolve(process.argv[2] || process.env.PARLEY_WEB_OUT_DIR || 'dist');

function fail(message) {
  console.error(`add-sri: ${message}`);
  process.exit(1);
}

function localFile(url) {
  if (!url.startsWith('/') || url.startsWith('//')) fail(`${url}: only same-origin absolute paths are allowed`);
  const file = resolve(outDir, '.' + url.split(/[?#]/)[0]);
  if (!file.startsWith(outDir + sep)) fail(`${url}: outside the output folder`);
  return file;
}

function sri(file) {
  return 'sha384-' + createHash('sha384').update(readFileSync(file)).digest('base64');
}

function withIntegrity(tag, url) {
  let out = tag.replace(/\s(integrity|crossorigin)(="[^"]*")?/g, '');
  const hash = sri(localFile(url));
  return out.replace(/\s*\/?>$/, (end) => ` integrity="${hash}" crossorigin="anonymous"${end.trim() === '/>' ? ' />' : '>'}`);
}

const indexPath = join(outDir, 'index.html');
let html = readFileSync(indexPath, 'utf8');

if (/<style[\s>]/i.test(html) || /\sstyle\s*=/i.test(html)) fail('index.html has an inline style');
if (/\son[a-z]+\s*=/i.test(html)) fail('index.html has an inline event handler');

let scripts = 0;
html = html.replace(/<script\b[^>]*>/gi, (tag) => {
  const src = /\ssrc="([^"]+)"/i.exec(tag);
  if (!src) fail(`inline script in index.html: ${tag}`);
  scripts++;
  return withIntegrity(tag, src[1]);
});
let links = 0;
html = html.replace(/<link\b[^>]*>/gi, (tag) => {
  const rel = /\srel="([^"]+)"/i.exec(tag)?.[1].toLowerCase() ?? '';
  if (!/(^|\s)(stylesheet|modulepreload)(\s|$)/.test(rel)) return tag;
  const href = /\shref="([^"]+)"/i.exec(tag);
  if (!href) fail(`link without href: ${tag}`);
  links++;
  return withIntegrity(tag, href[1]);
});
if (scripts === 0) fail('index.html loads no script: is this a Vite build?');
writeFileSync(indexPath, html);
mkdirSync(join(outDir, 'admin'), { recursive: true });
writeFileSync(join(outDir, 'admin', 'index.html'), html);

function walk(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

const files = walk(outDir);
const buildPaths = [outDir, process.cwd(), resolve(new URL('..', import.meta.url).pathname)];
for (const file of files) {
  const text = readFileSync(file, 'latin1');
  for (const path of buildPaths) {
    if (path.length > 1 && text.includes(path)) fail(`${relative(outDir, file)} names the build path ${path}`);
  }
}

// The app shell: everything except the service worker itself.
const shell = ['/'];
for (const file of files) {
  const url = '/' + relative(outDir, file).split(sep).join('/');
  if (url === '/sw.js' || url.startsWith('/admin/')) continue;
  shell.push(url);
}
const version = createHash('sha256');
for (const url of shell) {
  if (url !== '/') version.update(url + '\0' + sri(localFile(url)) + '\n');
}
const swPath = join(outDir, 'sw.js');
const sw = readFileSync(swPath, 'utf8')
  .replaceAll('__PARLEY_SHELL_VERSION__', version.digest('hex').slice(0, 16))
  .replace("/* shell files */ ['/']", JSON.stringify(shell));
if (sw.includes('__PARLEY_') || sw.includes('/* shell files */')) fail('sw.js placeholders not found or not filled');
writeFileSync(swPath, sw);

console.log(`add-sri: ${scripts} script(s) and ${links} stylesheet/preload link(s) carry integrity; ${shell.length} shell files`);
