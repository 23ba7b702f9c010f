/* The sale screen with JavaScript: the same form, sent in the background; the server's answer replaces
   the sale panel (so the page, the charge and the invoice always agree on the sums). Taps are queued
   and sent one after another. Category tabs filter the product grid. Charge is a normal submit. */
(function () {
  "use strict";
  var queue = [];
  var busy = false;
  var category = "";

  function form() { return document.getElementById("sale-form"); }

  function showCategory() {
    var root = form();
    if (!root) { return; }
    var tabs = document.getElementById("category-tabs");
    if (tabs) { tabs.hidden = false; }
    Array.prototype.forEach.call(root.querySelectorAll(".tab[data-category]"), function (tab) {
      tab.setAttribute("aria-pressed", tab.getAttribute("data-category") === category ? "true" : "false");
    });
    Array.prototype.forEach.call(root.querySelectorAll(".group[data-category]"), function (group) {
      group.hidden = category !== "" && group.getAttribute("data-category") !== category;
    });
  }

  function send(name, value) {
    var root = form();
    var data = new URLSearchParams(new FormData(root));
    if (name) { data.append(name, value); }
    busy = true;
    fetch("/t/sale", { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected || !/text\/html/.test(response.headers.get("Content-Type") || "")) {
          window.location.assign(response.url); return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("sale-form");
        if (!next) { document.body.replaceWith(document.adoptNode(doc.body)); return; }
        form().replaceWith(document.adoptNode(next));
        showCategory();
        busy = false;
        pump();
      })
      .catch(function () { window.location.assign("/t/offline.html"); });
  }

  function pump() {
    if (busy || queue.length === 0) { return; }
    var next = queue.shift();
    send(next[0], next[1]);
  }

  document.addEventListener("submit", function (event) {
    var root = form();
    if (event.target !== root) { return; }
    var submitter = event.submitter;
    if (submitter && submitter.getAttribute("formaction")) { return; }  // Charge: a real navigation
    event.preventDefault();
    queue.push(submitter && submitter.name ? [submitter.name, submitter.value] : ["apply", "1"]);
    pump();
  });

  document.addEventListener("click", function (event) {
    var tab = event.target.closest ? event.target.closest(".tab[data-category]") : null;
    if (!tab) { return; }
    category = tab.getAttribute("data-category") || "";
    showCategory();
  });

  showCategory();
}());
