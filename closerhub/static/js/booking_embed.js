// Inside the embed iframe (/book/<key>?embed=1): tell the host page our height, and that a call was booked.
(function () {
  if (window.parent === window) return;
  function post(message) { window.parent.postMessage(message, '*'); }
  function height() { post({ type: 'closerhub:resize', height: document.documentElement.scrollHeight }); }
  window.addEventListener('load', height);
  if (window.ResizeObserver) new ResizeObserver(height).observe(document.body);
  var done = document.querySelector('[data-closerhub-booked]');
  if (done) post({ type: 'closerhub:booked', appointment: JSON.parse(done.getAttribute('data-closerhub-booked')) });
})();
