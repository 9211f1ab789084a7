/* ctip's service worker (decision record 0035), served at /sw.js by ctip.core.offline.
 *
 * It keeps copies of an allow-list only, so that the quick entry of an activity opens without
 * a connection: the static files, the quick-entry page, the report of a situation (a blank form) (whose lists are the catalogues and the
 * units in the officer's scope), and the API's catalogues and units. Every copy is refreshed
 * from the network whenever the network answers (network first). Nothing else is ever kept:
 * no case, no person, no answer marked no-store. Writes never pass through here: the queue of
 * entries lives in the page (ctip/js/offline.js).
 */
'use strict';

const CACHE = 'ctip-offline-v1';
// The forms only (their lists are catalogues and units in scope): never a case or a situation.
const PAGES = ['/outreach/activities/new/', '/cases/situations/new/'];
const API = ['/api/v1/catalogues', '/api/v1/units'];

function keep(url) {
  return url.pathname.startsWith('/static/') || PAGES.includes(url.pathname) ||
    API.includes(url.pathname) || url.pathname === '/manifest.webmanifest';
}

function cacheable(response) {
  if (!response || !response.ok || response.redirected || response.type !== 'basic') return false;
  const control = response.headers.get('Cache-Control') || '';
  return !/no-store/i.test(control);
}

function cacheKey(url) {
  // A page is kept once, whatever its query (?date=, ?unit=).
  return PAGES.includes(url.pathname) ? url.origin + url.pathname : url.href;
}

async function refresh() {
  const cache = await caches.open(CACHE);
  for (const path of [...PAGES, ...API]) {
    try {
      const response = await fetch(path, {credentials: 'same-origin', redirect: 'follow'});
      if (cacheable(response)) await cache.put(new URL(path, self.location.origin).href, response);
    } catch (e) { /* offline: keep what we have */ }
  }
}

const OFFLINE_PAGE = '<!doctype html><html lang="vi"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<title>Không có kết nối</title></head><body><main><h1>Không có kết nối mạng</h1>' +
  '<p>Trang này cần kết nối. Bạn vẫn có thể ghi nhận hoạt động: ' +
  '<a href="/outreach/activities/new/">Ghi nhận hoạt động</a>, ' +
  '<a href="/cases/situations/new/">Báo tin một tình huống</a>. ' +
  'Các mục sẽ được gửi khi có mạng trở lại.</p></main></body></html>';

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const port = event.ports && event.ports[0];
  if (event.data === 'refresh') {
    event.waitUntil(refresh().then(() => port && port.postMessage('refreshed')));
  } else if (event.data === 'forget') {
    event.waitUntil(caches.delete(CACHE).then(() => port && port.postMessage('forgotten')));
  }
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (!keep(url)) {
    if (request.mode === 'navigate') {
      event.respondWith(fetch(request).catch(() => new Response(OFFLINE_PAGE, {
        status: 503, headers: {'Content-Type': 'text/html; charset=utf-8'}})));
    }
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      if (cacheable(response)) await cache.put(cacheKey(url), response.clone());
      return response;
    } catch (e) {
      const copy = await cache.match(cacheKey(url));
      if (copy) return copy;
      if (request.mode === 'navigate') {
        return new Response(OFFLINE_PAGE, {status: 503,
          headers: {'Content-Type': 'text/html; charset=utf-8'}});
      }
      throw e;
    }
  })());
});
