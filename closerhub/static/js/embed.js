// CloserHub embed: <script src="https://<closerhub>/embed.js" data-closerhub-key="<booking key>" async></script>
// Places the booking page in an iframe after the script tag, follows its height, and re-posts
// "closerhub:booked" to the host page (window.postMessage, and a DOM event on the iframe).
(function () {
  var scripts = document.querySelectorAll('script[data-closerhub-key]');
  Array.prototype.forEach.call(scripts, function (script) {
    if (script.getAttribute('data-closerhub-placed')) return;
    script.setAttribute('data-closerhub-placed', '1');
    var base = new URL(script.src, window.location.href);
    var src = new URL('/book/' + encodeURIComponent(script.getAttribute('data-closerhub-key')), base.origin);
    src.searchParams.set('embed', '1');
    var own = new URL(window.location.href).searchParams;  // funnel prefill: name, email, phone, utm_*
    own.forEach(function (value, name) {
      if (/^(name|email|phone|utm_[a-z_]+)$/.test(name)) src.searchParams.set(name, value);
    });
    var lang = script.getAttribute('data-closerhub-lang');  // the page's language: en or fr (else the browser's)
    if (lang === 'en' || lang === 'fr') src.searchParams.set('lang', lang);
    var frame = document.createElement('iframe');
    frame.src = src.toString();
    frame.title = script.getAttribute('data-closerhub-title') || 'Booking';
    frame.style.width = '100%';
    frame.style.border = '0';
    frame.style.minHeight = '600px';
    frame.setAttribute('loading', 'lazy');
    script.parentNode.insertBefore(frame, script.nextSibling);
    window.addEventListener('message', function (event) {
      if (event.origin !== src.origin || event.source !== frame.contentWindow || !event.data) return;
      if (event.data.type === 'closerhub:resize' && event.data.height > 0) {
        frame.style.height = Math.ceil(event.data.height) + 'px';
      } else if (event.data.type === 'closerhub:booked') {
        window.postMessage(event.data, window.location.origin);
        frame.dispatchEvent(new CustomEvent('closerhub:booked', { detail: event.data, bubbles: true }));
      }
    });
  });
})();
