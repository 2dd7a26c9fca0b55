(function () {
  'use strict';
  // Progressive polish only: the page reads fully without this script. Dataset text is only ever
  // read from the DOM and written back with textContent, never parsed as HTML.
  var doc = document, root = doc.documentElement, data = {};
  try { data = JSON.parse(doc.getElementById('page-data').textContent); } catch (e) { data = {}; }

  var rnd = doc.getElementById('random');
  if (rnd && data.d_mlp > 1) {
    rnd.addEventListener('click', function (ev) {
      var r;
      do { r = Math.floor(Math.random() * data.d_mlp); } while (r === data.neuron);
      ev.preventDefault();
      location.href = r + '.html';
    });
  }

  doc.addEventListener('keydown', function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var id = { ArrowLeft: 'prev', ArrowRight: 'next', r: 'random', i: 'index' }[ev.key];
    var a = id && doc.getElementById(id);
    if (a) { ev.preventDefault(); a.click(); }
  });

  var expand = doc.getElementById('expand');
  if (expand) {
    var all = doc.querySelectorAll('details');
    if (all.length) {
      expand.hidden = false;
      expand.addEventListener('click', function () {
        var open = expand.textContent === 'expand all';
        for (var i = 0; i < all.length; i++) all[i].open = open;
        expand.textContent = open ? 'collapse all' : 'expand all';
      });
    }
  }

  var tip = doc.getElementById('tip'), cur = null;
  function position(el) {
    var i = 0, s = el;
    while ((s = s.previousElementSibling)) if (s.tagName === 'SPAN') i++;
    return (+el.parentNode.getAttribute('data-start') || 0) + i;
  }
  function line(label, value) {
    var d = doc.createElement('div'), b = doc.createElement('b');
    d.appendChild(doc.createTextNode(label));
    b.textContent = value;
    d.appendChild(b);
    return d;
  }
  function show(el) {
    var title = el.getAttribute('title');
    if (title !== null) { el.setAttribute('data-title', title); el.removeAttribute('title'); }
    title = el.getAttribute('data-title') || '';
    var v = parseFloat(title), text = el.textContent.replace(/[\n\t]/g, '');
    tip.textContent = '';
    tip.appendChild(line('', '\u201C' + text + '\u201D'));
    tip.appendChild(line('activation ', isNaN(v) ? '?' : v.toFixed(4) +
      (data.scale > 0 ? '  (' + Math.round(100 * v / data.scale) + '% of scale)' : '')));
    tip.appendChild(line('token ', String(position(el))));
    tip.hidden = false;
    var r = el.getBoundingClientRect(), w = tip.offsetWidth, h = tip.offsetHeight;
    var x = Math.max(4, Math.min(r.left, innerWidth - w - 4));
    var y = r.bottom + 6 + h > innerHeight ? r.top - h - 6 : r.bottom + 6;
    tip.style.left = x + 'px';
    tip.style.top = Math.max(4, y) + 'px';
  }
  function hide() {
    if (!cur) return;
    var t = cur.getAttribute('data-title');
    if (t !== null) { cur.setAttribute('title', t); cur.removeAttribute('data-title'); }
    cur = null;
    tip.hidden = true;
  }
  if (tip) {
    doc.addEventListener('mouseover', function (ev) {
      var el = ev.target && ev.target.closest ? ev.target.closest('.toks > span') : null;
      if (el === cur) return;
      hide();
      if (el) { cur = el; show(el); }
    });
    doc.addEventListener('scroll', hide, true);
  }

  root.setAttribute('data-js', 'ready');
})();
