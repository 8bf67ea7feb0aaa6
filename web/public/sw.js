// Parley's service worker: keeps the app shell (the page, its hashed scripts and styles, the
// manifest and icons) so the installed app opens without a network. It never touches the API,
// the SIP WebSocket or anything else: those always go to the server.
// scripts/add-sri.mjs fills in the version and the shell files after `vite build`.
const VERSION = '__PARLEY_SHELL_VERSION__';
const SHELL = /* shell files */ ['/'];
const CACHE = `parley-shell-${VERSION}`;
const SHELL_PATHS = new Set(SHELL);

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((n) => n.startsWith('parley-shell-') && n !== CACHE).map((n) => caches.delete(n)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    // The newest page when online (it names the newest hashed assets), the cached one offline.
    event.respondWith(fetch(request).catch(() => caches.match('/index.html', { cacheName: CACHE })));
    return;
  }
  if (SHELL_PATHS.has(url.pathname)) {
    event.respondWith(
      caches.match(request, { cacheName: CACHE }).then((cached) => cached || fetch(request)),
    );
  }
});
