// Copy buttons: <button data-copy="id-of-an-input" data-copied="Copied">. Without JavaScript the
// buttons stay hidden and the field stays selectable.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      if (!field) { return; }
      field.select();
      var done = function () { button.textContent = button.dataset.copied || button.textContent; };
      var fallback = function () { if (document.execCommand("copy")) { done(); } };
      if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(field.value).then(done, fallback); }
      else { fallback(); }
    });
  });
})();
