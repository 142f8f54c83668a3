// Booking page: reload once with the browser's time zone (?tz=) when the link did not say one.
// Without JavaScript the page shows the business's zone and a select to change it.
(function () {
  var url = new URL(window.location.href);
  if (url.searchParams.get('tz')) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  url.searchParams.set('tz', zone);
  window.location.replace(url.toString());
})();
