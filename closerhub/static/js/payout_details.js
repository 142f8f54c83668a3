// Payout details: show only the fields of the chosen way of being paid (IBAN, US, UK, other).
// Without JavaScript every field shows and the server still checks each scheme's own fields.
(function () {
  var form = document.querySelector("form[data-payout-details]");
  if (!form) return;
  var radios = form.querySelectorAll("input[name='scheme']");
  function update() {
    var chosen = form.querySelector("input[name='scheme']:checked");
    var scheme = chosen ? chosen.value : "";
    form.querySelectorAll("[data-schemes]").forEach(function (block) {
      var shown = !scheme || block.getAttribute("data-schemes").split(" ").indexOf(scheme) >= 0;
      block.hidden = !shown;
    });
  }
  radios.forEach(function (r) { r.addEventListener("change", update); });
  update();
})();
