(function () {
  'use strict';
  // serve's interactive page: re-fetch the results as the user types (debounced; a newer request aborts
  // an older one, and a late answer to an old request is dropped). The results are HTML the server
  // rendered and escaped, like every page; messages from the server are shown with textContent only.
  var doc = document, form = doc.getElementById('try'), out = doc.getElementById('results');
  var status = doc.getElementById('status'), data = {};
  try { data = JSON.parse(doc.getElementById('page-data').textContent); } catch (e) { data = {}; }
  var text = form.elements.text, layer = form.elements.layer, neuron = form.elements.neuron, top = form.elements.top, page = doc.getElementById('page');
  var timer = 0, ctl = null, seq = 0;

  function query() {
    var p = new URLSearchParams();
    if (layer) p.set('layer', layer.value);
    p.set('neuron', neuron.value);
    p.set('top', top.value);
    p.set('text', text.value);
    return p;
  }
  function refresh() {
    clearTimeout(timer);
    timer = 0;
    if (!form.checkValidity()) { status.textContent = 'neuron must be 0..' + (data.d_mlp - 1) + ', top at least 1'; return; }
    if (ctl) ctl.abort();
    ctl = new AbortController();
    var mine = ++seq, p = query();
    try { history.replaceState(null, '', 'trace?' + p); } catch (e) { /* a very long text: keep the old URL */ }
    var l = layer ? +layer.value : 0, n = +neuron.value;   // the page's path as the site lays it out
    if (page) { page.href = (data.n_layers > 1 ? l + '/' : '') + n + '.html'; page.textContent = 'L' + l + 'N' + n + '\'s page'; }
    p.set('part', 'results');
    status.textContent = 'computing\u2026';
    fetch('trace?' + p, { signal: ctl.signal, headers: { Accept: 'text/html' } }).then(function (r) {
      return r.text().then(function (body) { return { ok: r.ok, code: r.status, body: body }; });
    }).then(function (res) {
      if (mine !== seq) return;
      if (res.ok) {
        out.innerHTML = res.body;
        status.textContent = '';
      } else {
        var msg = 'HTTP ' + res.code;
        try { msg = JSON.parse(res.body).error || msg; } catch (e) { /* not JSON */ }
        status.textContent = msg;
      }
      out.setAttribute('data-seq', String(mine));
    }).catch(function (e) {
      if (e.name !== 'AbortError' && mine === seq) status.textContent = 'request failed: ' + e.message;
    });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, data.debounce_ms || 200);
  }
  text.addEventListener('input', later);
  if (layer) layer.addEventListener('change', refresh);
  neuron.addEventListener('input', later);
  top.addEventListener('input', later);
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var b = ev.submitter;
    if (b && b.name === 'pick') {
      neuron.value = b.getAttribute('data-neuron');
      if (layer) layer.value = b.getAttribute('data-layer');
    }
    refresh();
  });
  doc.documentElement.setAttribute('data-js', 'ready');
})();
