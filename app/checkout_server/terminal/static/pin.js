/* The PIN screen's on-screen keypad: fills the same password field the plain form sends. */
(function () {
  "use strict";
  var pad = document.getElementById("pin-pad");
  var input = document.getElementById("pin");
  if (!pad || !input) { return; }
  pad.hidden = false;
  input.setAttribute("inputmode", "none");  // the on-screen keypad instead of the phone's keyboard
  var plain = document.getElementById("login");
  if (plain) { plain.hidden = true; }
  pad.addEventListener("click", function (event) {
    var key = event.target.closest("button[data-digit]");
    if (!key) { return; }
    var digit = key.getAttribute("data-digit");
    if (digit === "back") { input.value = input.value.slice(0, -1); }
    else if (input.value.length < 8) { input.value += digit; }
  });
}());
