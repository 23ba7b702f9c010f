/* RedWaves till service worker: keeps one page, /t/offline.html, and shows it when a page of the till
   cannot be loaded (no network, RedWaves stopped). Nothing else is cached: a sale, a QR code or a
   receipt always comes from the shop's RedWaves. */
"use strict";
var CACHE = "redwaves-till-offline-v1";
var OFFLINE = "/t/offline.html";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll([OFFLINE]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== CACHE; }).map(function (name) {
      return caches.delete(name);
    }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  if (event.request.mode !== "navigate") { return; }
  event.respondWith(fetch(event.request).catch(function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(OFFLINE); });
  }));
});
