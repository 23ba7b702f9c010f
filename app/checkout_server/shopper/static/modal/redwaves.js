/* RedWaves checkout modal for any web page:
     <script src="https://shop.example/modal/redwaves.js"></script>
     redwaves.onModalWillEnter(function () { ... });
     redwaves.onModalWillLeave(function () { ... });
     window.addEventListener("message", function (e) { if (e.data && e.data.status) { ... } });
     redwaves.showInvoice("INVOICE_ID");
   The checkout runs in an iframe (/i/{id}?view=modal) served by RedWaves; it posts "loaded", "close"
   and {invoiceId, status} messages (the btcpay.js / bitcart.js shape). */
(function () {
  "use strict";
  if (window.redwaves) {
    if (window.console) { window.console.warn("redwaves.js was loaded twice"); }
    return;
  }
  var script = document.currentScript;
  var origin = "";
  if (script && script.src) {
    origin = new URL(script.src, window.location.href).origin;
  }
  var frame = null;
  var showing = false;
  var willEnter = function () {};
  var willLeave = function () {};
  var previousFocus = null;

  function setApiUrlPrefix(url) { origin = new URL(url, window.location.href).origin; }

  function makeFrame() {
    var el = document.createElement("iframe");
    el.name = "redwaves";
    el.title = "Bitcoin checkout";
    el.setAttribute("allow", "clipboard-write");
    el.style.position = "fixed";
    el.style.top = "0";
    el.style.left = "0";
    el.style.width = "100%";
    el.style.height = "100%";
    el.style.border = "0";
    el.style.zIndex = "2147483000";
    el.style.display = "none";
    el.style.background = "transparent";
    return el;
  }

  function showFrame() {
    if (!frame) { return; }
    if (frame.style.display !== "block") {
      willEnter();
      frame.style.display = "block";
      previousFocus = document.activeElement;
      frame.focus();
    }
  }

  function hideFrame() {
    if (!frame) { return; }
    willLeave();
    showing = false;
    if (frame.parentNode) { frame.parentNode.removeChild(frame); }
    frame = null;
    if (previousFocus && previousFocus.focus) { previousFocus.focus(); }
  }

  function onMessage(event) {
    if (!showing || !frame || event.origin !== origin || event.source !== frame.contentWindow) { return; }
    if (event.data === "loaded") { showFrame(); }
    else if (event.data === "close") { hideFrame(); }
  }

  function showInvoice(invoiceId, params) {
    if (!origin) { throw new Error("redwaves: call setApiUrlPrefix(url) first"); }
    if (frame) { hideFrame(); }
    frame = makeFrame();
    showing = true;
    var url = origin + "/i/" + encodeURIComponent(invoiceId) + "?view=modal";
    if (params && params.lang) { url += "&lang=" + encodeURIComponent(params.lang); }
    frame.src = url;
    document.body.appendChild(frame);
  }

  window.addEventListener("message", onMessage, false);
  window.redwaves = {
    showInvoice: showInvoice,
    showFrame: showFrame,
    hideFrame: hideFrame,
    onModalWillEnter: function (callback) { willEnter = typeof callback === "function" ? callback : function () {}; },
    onModalWillLeave: function (callback) { willLeave = typeof callback === "function" ? callback : function () {}; },
    setApiUrlPrefix: setApiUrlPrefix
  };
}());
