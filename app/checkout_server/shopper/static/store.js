/* RedWaves store: shows the cart total while quantities change. The form works without this file. */
(function () {
  "use strict";
  var form = document.getElementById("cart");
  var totalBox = document.getElementById("cart-total");
  var totalValue = document.getElementById("cart-total-value");
  if (!form || !totalBox || !totalValue) { return; }
  var currency = form.getAttribute("data-currency");
  var lang = form.getAttribute("data-lang") || "en";
  var formatter = null;
  try {
    if (currency === "BTC") { formatter = new Intl.NumberFormat(lang, { minimumFractionDigits: 8, maximumFractionDigits: 8 }); }
    else if (currency === "SAT") { formatter = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }); }
    else { formatter = new Intl.NumberFormat(lang, { style: "currency", currency: currency }); }
  } catch (err) { return; }
  var suffix = currency === "BTC" ? " BTC" : currency === "SAT" ? " sat" : "";

  function update() {
    var total = 0, count = 0;
    Array.prototype.forEach.call(form.querySelectorAll("li.product[data-price]"), function (item) {
      var input = item.querySelector("input[type=number]");
      var qty = input ? parseInt(input.value, 10) : 0;
      if (qty > 0) { total += qty * parseFloat(item.getAttribute("data-price")); count += qty; }
    });
    totalBox.hidden = count === 0;
    totalValue.textContent = formatter.format(total) + suffix;  /* display only: the server computes the invoice */
  }
  form.addEventListener("input", update);
  update();
}());
