// Billing page: Stripe.js Elements confirms the SetupIntent in the browser (card numbers go to
// Stripe only), then the form posts the resulting payment method id to CloserHub.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(form.dataset.publishableKey);
  var elements = stripe.elements();
  var card = elements.create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("card-submit");
  var confirmed = false;
  form.addEventListener("submit", function (event) {
    if (confirmed) { return; }
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    stripe.confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) {
        errors.textContent = result.error.message;
        button.disabled = false;
        return;
      }
      document.getElementById("payment-method").value = result.setupIntent.payment_method;
      confirmed = true;
      form.submit();
    });
  });
})();
