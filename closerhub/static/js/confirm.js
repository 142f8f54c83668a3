// Forms that ask first: <form data-confirm="Question?"> submits only when the person agrees.
// Inline onsubmit handlers are blocked by the Content-Security-Policy (script-src 'self'), so
// the question lives in the markup and this one listener asks it. Read-only fields marked
// data-select-on-click select their whole text when clicked (a link to copy).
document.addEventListener("submit", function (event) {
  var form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
document.addEventListener("click", function (event) {
  var field = event.target.closest("[data-select-on-click]");
  if (field && typeof field.select === "function") {
    field.select();
  }
});
