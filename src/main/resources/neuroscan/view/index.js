(function () {
  'use strict';
  // Search and sort for the site index; the table and its links work without this script.
  var doc = document, root = doc.documentElement;
  var input = doc.getElementById('q'), table = doc.getElementById('neurons');
  var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows), d = rows.length;
  var count = doc.getElementById('count');

  function filter() {
    // A number finds neurons by number (prefix: "42" finds 42, 420..429, 4200..); anything else
    // finds it in the max token or the top logit token.
    var q = input.value.trim().toLowerCase(), num = /^\d+$/.test(q), shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var hit = !q || (num ? r.getAttribute('data-n').indexOf(q) === 0
        : (r.getAttribute('data-tok') + '\u0000' + r.getAttribute('data-logit')).toLowerCase().indexOf(q) >= 0);
      r.hidden = !hit;
      if (hit) shown++;
    }
    count.textContent = q ? shown + ' of ' + d + ' neurons' : d + ' neurons';
  }
  input.addEventListener('input', filter);
  input.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter') return;
    var q = input.value.trim();
    if (/^\d+$/.test(q) && +q < d) { location.href = (+q) + '.html'; return; }
    for (var i = 0; i < rows.length; i++) if (!rows[i].hidden) { location.href = rows[i].getAttribute('data-n') + '.html'; return; }
  });

  var heads = table.tHead.rows[0].cells, dir = {};
  Array.prototype.forEach.call(heads, function (th, col) {
    var key = th.getAttribute('data-sort');
    if (!key) return;
    th.title = 'sort';
    th.addEventListener('click', function () {
      dir[col] = dir[col] === 1 ? -1 : 1;
      var k = dir[col];
      rows.sort(function (a, b) {
        var x = a.getAttribute(key), y = b.getAttribute(key);
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : (x < y ? -1 : x > y ? 1 : 0);
        return c * k || (+a.getAttribute('data-n') - +b.getAttribute('data-n'));
      });
      for (var i = 0; i < rows.length; i++) body.appendChild(rows[i]);
    });
  });

  var rnd = doc.getElementById('random');
  if (rnd && d > 0) rnd.addEventListener('click', function (ev) {
    ev.preventDefault();
    location.href = Math.floor(Math.random() * d) + '.html';
  });
  filter();
  root.setAttribute('data-js', 'ready');
})();
