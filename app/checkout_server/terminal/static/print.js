/* The receipt's Print button: shown only when this script runs (it calls the browser's print dialog). */
(function () {
  "use strict";
  var button = document.getElementById("print");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
}());
