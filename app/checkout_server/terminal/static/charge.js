/* Charge and paid screens: live status from the checkout's websocket (/i/{id}/ws), polling
   /i/{id}/status when it is refused or drops. The charge screen moves to the paid screen once the
   invoice is no longer waiting; the paid screen reloads when the payment settles. Without this file
   both pages reload themselves (meta refresh). */
(function () {
  "use strict";
  var root = document.getElementById("charge-screen") || document.getElementById("paid-screen");
  if (!root) { return; }
  var id = root.getAttribute("data-invoice-id");
  var page = root.getAttribute("data-page");
  var status = root.getAttribute("data-status");
  var remaining = root.getAttribute("data-remaining-sat");
  var base = "/i/" + encodeURIComponent(id);
  var pollTimer = null;
  var done = false;

  function apply(data) {
    if (done || !data || data.invoiceId !== id) { return; }
    if (page === "charge" && data.status !== "pending") {
      done = true; window.location.assign("/t/paid/" + encodeURIComponent(id)); return;
    }
    if (data.status !== status || String(data.remainingSat) !== String(remaining)) {
      done = true; window.location.reload();
    }
  }

  function poll() {
    fetch(base + "/status", { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(apply).catch(function () { /* next tick */ });
  }

  function startPolling() { if (!pollTimer) { pollTimer = window.setInterval(poll, 3000); poll(); } }

  function connect() {
    if (!("WebSocket" in window)) { startPolling(); return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try { socket = new WebSocket(scheme + window.location.host + base + "/ws"); } catch (err) { startPolling(); return; }
    socket.onmessage = function (event) { try { apply(JSON.parse(event.data)); } catch (err) { /* ignore */ } };
    socket.onclose = function () { startPolling(); };
  }

  connect();
}());
