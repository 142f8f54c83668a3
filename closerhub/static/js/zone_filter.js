// Booking page: a search box above the time-zone list, filtering it by city or zone name
// ("new york", "paris", "kolkata"). Without JavaScript the plain list works the same.
(function () {
  var select = document.getElementById('tz');
  if (!select) return;
  var box = document.createElement('input');
  box.type = 'search';
  box.id = 'tz-search';
  box.setAttribute('aria-label', select.getAttribute('data-search-label') || 'Search');
  box.placeholder = select.getAttribute('data-search-label') || '';
  box.setAttribute('aria-controls', 'tz');
  select.parentNode.insertBefore(box, select);
  var options = Array.prototype.slice.call(select.options);
  box.addEventListener('input', function () {
    var words = box.value.toLowerCase().replace(/_/g, ' ').split(/\s+/).filter(Boolean);
    var first = null;
    options.forEach(function (option) {
      var name = option.value.toLowerCase().replace(/[_/]/g, ' ');
      var match = words.every(function (w) { return name.indexOf(w) !== -1; });
      option.hidden = !match;
      if (match && !first) first = option;
    });
    if (first && words.length) select.value = first.value;
  });
})();
