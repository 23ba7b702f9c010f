/* Installable till: register the service worker (it caches only the offline page; sw.js). */
(function () {
  "use strict";
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/t/sw.js", { scope: "/t/" }).catch(function () { /* the till works without it */ });
  }
}());
