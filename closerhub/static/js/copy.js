// Copy buttons: <button data-copy="id-of-an-input">. Without JavaScript the field stays selectable.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      if (!field) { return; }
      field.select();
      var done = function () { button.textContent = button.dataset.copied; };
      if (navigator.clipboard) { navigator.clipboard.writeText(field.value).then(done); }
      else if (document.execCommand("copy")) { done(); }
    });
  });
})();
