/* RedWaves checkout: live status (websocket, polling fallback), countdown, copy buttons, modal messages.
   Progressive enhancement only: the page is complete and self-refreshing without this file. */
(function () {
  "use strict";
  var root = document.getElementById("checkout");
  if (!root) { return; }
  var invoiceId = root.getAttribute("data-invoice-id");
  var lang = root.getAttribute("data-lang") || "en";
  var inModal = root.getAttribute("data-modal") === "true";
  var state = { status: root.getAttribute("data-status"), remaining: root.getAttribute("data-remaining-sat"),
                lightning: root.getAttribute("data-lightning") === "true" };
  var method = root.getAttribute("data-method") || "onchain";
  var secondsLeft = parseInt(root.getAttribute("data-seconds-left"), 10) || 0;
  var deadline = Date.now() + secondsLeft * 1000;
  var redirectTimer = null;
  var pollTimer = null;
  var socket = null;
  var retries = 0;
  var base = "/i/" + encodeURIComponent(invoiceId);

  function $(id) { return document.getElementById(id); }
  function setText(id, text) { var el = $(id); if (el && typeof text === "string") { el.textContent = text; } }

  function postToParent(message) {
    if (inModal && window.parent && window.parent !== window) { window.parent.postMessage(message, "*"); }
  }

  function safeHttpUrl(url) { return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null; }

  function scheduleRedirect(url) {
    var target = safeHttpUrl(url);
    if (!target || inModal || redirectTimer) { return; }
    var link = $("return-link");
    if (link) { link.setAttribute("href", target); $("return").hidden = false; }
    var delay = parseInt(root.getAttribute("data-redirect-delay"), 10) || 5;
    redirectTimer = window.setTimeout(function () { window.location.assign(target); }, delay * 1000);
  }

  function apply(data) {
    if (!data || data.invoiceId !== invoiceId) { return; }
    var offerClosed = state.lightning && !data.lightning;
    if (offerClosed && method === "lightning" && data.payable) { switchToOnchain(); return; }
    var changed = data.status !== state.status || String(data.remainingSat) !== String(state.remaining) || offerClosed;
    deadline = Date.now() + (data.secondsLeft || 0) * 1000;
    if (changed) {
      root.className = root.className.replace(/status-[a-z]+/, "status-" + data.status);
      root.setAttribute("data-status", data.status);
      setText("status-title", data.title);
      setText("status-message", data.message);
      setText("status-live", data.title + ". " + data.message);
      document.title = data.title + " · " + document.title.split(" · ").slice(1).join(" · ");
      var pay = $("pay");
      if (pay) { pay.hidden = !data.payable; }
      var tabs = $("method-tabs");
      if (tabs && !data.lightning) { tabs.hidden = true; }
      var viaLightning = $("paid-lightning");
      if (viaLightning) { viaLightning.hidden = !data.paidOverLightning; }
      if (data.payable && (String(data.remainingSat) !== String(state.remaining) || offerClosed)) {
        updatePaymentRequest(data);
      }
    }
    state.status = data.status;
    state.remaining = String(data.remainingSat);
    state.lightning = Boolean(data.lightning);
    postToParent({ invoiceId: invoiceId, status: data.status, exceptionStatus: data.exceptionStatus });
    if (data.redirectUrl) { scheduleRedirect(data.redirectUrl); }
    if (!data.open) { stopPolling(); }
  }

  function switchToOnchain() {
    // The BOLT11 was withdrawn (an on-chain payment was seen): the server renders the on-chain view.
    var link = $("tab-onchain");
    window.location.replace(link ? link.getAttribute("href") : base);
  }

  function updatePaymentRequest(data) {
    if (method !== "onchain") { return; }
    var partial = $("partial");
    if (partial) { partial.hidden = !data.partial; }
    setText("paid-text", data.paidText);
    setText("remaining-text", data.remainingText);
    var amount = $("f-amount"); if (amount) { amount.value = data.remainingBtc; }
    var uri = $("f-uri"); if (uri) { uri.value = data.paymentUri; }
    ["open-wallet", "qr-link"].forEach(function (id) { var a = $(id); if (a) { a.setAttribute("href", data.paymentUri); } });
    var qr = $("qr");
    if (qr) {
      qr.setAttribute("src", base + "/qr.svg?sat=" + encodeURIComponent(data.remainingSat) +
                             (data.lightning ? "&method=onchain&ln=1" : ""));
    }
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", base + "/status?lang=" + encodeURIComponent(lang));
    request.responseType = "json";
    request.onload = function () { if (request.status === 200) { apply(request.response); } };
    request.send();
  }

  function startPolling() { if (!pollTimer) { pollTimer = window.setInterval(poll, 5000); poll(); } }
  function stopPolling() { if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; } }

  function connect() {
    if (!("WebSocket" in window)) { startPolling(); return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + base + "/ws?lang=" + encodeURIComponent(lang));
    } catch (err) { startPolling(); return; }
    socket.onopen = function () { retries = 0; stopPolling(); };
    socket.onmessage = function (event) {
      try { apply(JSON.parse(event.data)); } catch (err) { /* ignore malformed frames */ }
    };
    socket.onclose = function () {
      socket = null;
      startPolling();
      if (retries < 8) { retries += 1; window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, retries))); }
    };
  }

  function tick() {
    var el = $("countdown");
    if (!el) { return; }
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var minutes = Math.floor(left / 60), seconds = left % 60;
    el.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    if (left === 0 && state.status === "pending") { poll(); }
  }

  function setupCopy() {
    var buttons = document.querySelectorAll("button.copy[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        var input = $(button.getAttribute("data-copy"));
        if (!input) { return; }
        var done = function () {
          button.classList.add("done");
          setText("copied", label + ": " + input.value);
          window.setTimeout(function () { button.classList.remove("done"); }, 1500);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
        } else {
          input.focus(); input.select();
          try { if (document.execCommand("copy")) { done(); } } catch (err) { /* selection stays for manual copy */ }
        }
      });
    });
  }

  function setupModal() {
    var close = $("close-modal");
    if (!inModal || !close) { return; }
    close.hidden = false;
    close.addEventListener("click", function () { postToParent("close"); });
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") { postToParent("close"); } });
    postToParent("loaded");
  }

  setupCopy();
  setupModal();
  tick();
  window.setInterval(tick, 1000);
  connect();
  var redirect = root.getAttribute("data-redirect-url");
  if (redirect) { scheduleRedirect(redirect); }
  postToParent({ invoiceId: invoiceId, status: state.status });
}());
