// Fill empty or default time zone fields with the browser's zone (the only JS the forms need).
(function () {
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  document.querySelectorAll('[data-detect-timezone]').forEach(function (input) {
    if (!input.value || input.value === 'UTC') input.value = zone;
  });
})();
