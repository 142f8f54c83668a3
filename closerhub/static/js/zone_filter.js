// Booking page: the time-zone list loads on demand (the page carries only the current zone, keeping it
// light) and a search box above it filters it by city, country or zone name ("new york", "paris", "inde"),
// accents aside. Options read "(UTC+01:00) Paris, France" in the page's language; values stay IANA names.
// Each option also shows the zone's current local time, drawn by the browser in the page's language and
// the reader's 12- or 24-hour clock (data-clock); the server's labels stay cacheable.
// Without JavaScript the "More time zones" link shows the page with the whole list.
(function () {
  var select = document.getElementById('tz');
  if (!select) return;
  var more = document.getElementById('tz-more');
  if (more) more.hidden = true;
  var box = document.createElement('input');
  box.type = 'search';
  box.id = 'tz-search';
  box.setAttribute('aria-label', select.getAttribute('data-search-label') || 'Search');
  box.placeholder = select.getAttribute('data-search-label') || '';
  box.setAttribute('aria-controls', 'tz');
  select.parentNode.insertBefore(box, select);
  var options = Array.prototype.slice.call(select.options);
  var loading = null;
  var lang = document.documentElement.lang || undefined;
  var clock = select.getAttribute('data-clock');
  var hour12 = clock ? clock === '12' : undefined;  // else the language's usual clock

  function withNow(option) {  // "(UTC-04:00) New York, United States · 9:41 AM"
    try {
      var now = new Intl.DateTimeFormat(lang, { timeZone: option.value, hour: 'numeric', minute: '2-digit', hour12: hour12 })
        .format(new Date());
      if (!option.getAttribute('data-label')) option.setAttribute('data-label', option.text);
      option.text = option.getAttribute('data-label') + ' \u00b7 ' + now;
    } catch (e) { /* a zone this browser does not know: its label alone */ }
  }
  options.forEach(withNow);

  function load() {
    var url = select.getAttribute('data-zones-url');
    if (loading || !url || options.length > 1) return loading || Promise.resolve();
    loading = fetch(url, { credentials: 'omit' })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var current = select.value;
        var currentLabel = select.options[select.selectedIndex] ? select.options[select.selectedIndex].text : current;
        select.textContent = '';
        var found = false;
        data.zones.forEach(function (pair) {  // [IANA value, label in the page's language]
          if (pair[0] === current) found = true;
          select.add(new Option(pair[1], pair[0], false, pair[0] === current));
        });
        if (!found) select.add(new Option(currentLabel, current, true, true), 0);
        options = Array.prototype.slice.call(select.options);
        options.forEach(function (option) { if (option.value !== current || found) withNow(option); });
      })
      .catch(function () { if (more) more.hidden = false; });
    return loading;
  }

  function plain(text) {  // "São Paulo" is found by "sao paulo"
    return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  }

  function filter() {
    var words = plain(box.value).replace(/_/g, ' ').split(/\s+/).filter(Boolean);
    var first = null;
    options.forEach(function (option) {
      var name = plain(option.value + ' ' + option.text).replace(/[_/]/g, ' ');
      var match = words.every(function (w) { return name.indexOf(w) !== -1; });
      option.hidden = !match;
      if (match && !first) first = option;
    });
    if (first && words.length) select.value = first.value;
  }

  box.addEventListener('focus', load);
  select.addEventListener('focus', load);
  select.addEventListener('mousedown', load);
  box.addEventListener('input', function () { load().then(filter); });
})();
