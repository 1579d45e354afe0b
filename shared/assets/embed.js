/* leadflow site snippet: renders a configured inquiry form (data-form) and keeps the visitor's
   first and latest touch in a first-party cookie. Page-view and key-event beacons stay off
   until the site says its visitor accepted analytics. No third-party request, no third-party
   cookie. Served by leadflow at /forms/embed.js; see the README for the embed snippet. */
(() => {
  'use strict';
  const me = document.currentScript;
  if (!me) return;
  const d = document, w = window, opt = me.dataset;
  const base = me.src.replace(/\/forms\/embed\.js(\?.*)?$/, '');
  const COOKIE = 'lf_journey', SESSION = 30 * 60e3, DAYS = 365;
  const TAGS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'gclid', 'fbclid', 'msclkid', 'ttclid'];
  const css = "__LEADFLOW_CSS__";

  // --- Attribution: one shared state per page, however many script tags. ---
  const lf = w.leadflow && w.leadflow.v ? w.leadflow : (w.leadflow = start());

  function start() {
    const state = {
      v: 1,
      analytics: w.leadflowAnalyticsConsent === true || opt.analytics === 'granted',
      off: opt.attribution === 'off',
      journey: null
    };
    if (state.off) forget();
    else state.journey = touch(read());
    state.consent = (c) => {
      if (c && 'attribution' in c) { state.off = !c.attribution; if (state.off) { forget(); state.journey = null; } else state.journey = touch(read()); }
      if (c && 'analytics' in c) {
        const was = state.analytics;
        state.analytics = !!c.analytics;
        if (!state.analytics && state.journey) { delete state.journey.id; save(state.journey); }
        if (state.analytics && !was) pageView();
      }
    };
    state.track = (name) => beacon({ type: 'event', event: String(name) });
    setTimeout(pageView, 0);
    return state;

    // Once per page load, whichever comes first: the load, or the visitor's consent.
    function pageView() {
      if (state.viewed || !state.analytics) return;
      state.viewed = true;
      beacon({ type: 'page_view', page: location.pathname });
    }
    function beacon(body) {
      const j = state.journey;
      if (!state.analytics || !j) return;
      if (!j.id) { j.id = id(); save(j); }
      body.visitor = j.id;
      try {
        fetch(base + '/visits', { method: 'POST', mode: 'no-cors', credentials: 'omit', keepalive: true, headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) }).catch(() => {});
      } catch (e) { /* never break the page */ }
    }
  }

  function read() {
    const m = d.cookie.match(/(?:^|;\s*)lf_journey=([^;]*)/);
    try { return m ? JSON.parse(decodeURIComponent(m[1])) : null; } catch (e) { return null; }
  }
  function save(j) {
    d.cookie = COOKIE + '=' + encodeURIComponent(JSON.stringify(j)) + ';path=/;max-age=' + DAYS * 86400 + ';samesite=lax' + (location.protocol === 'https:' ? ';secure' : '');
  }
  function forget() { d.cookie = COOKIE + '=;path=/;max-age=0;samesite=lax'; }
  function id() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  // A URL without its query string, except the campaign tags and click ids.
  function clean(href, keep) {
    try {
      const u = new URL(href), out = new URL(u.origin + u.pathname);
      if (keep) TAGS.forEach((k) => { const v = u.searchParams.get(k); if (v) out.searchParams.set(k, v); });
      return out.href.slice(0, 300);
    } catch (e) { return undefined; }
  }
  // Records this page load: a new visit after 30 minutes away; a new latest touch when the
  // visitor arrived with campaign tags, a click id or from another site.
  function touch(j) {
    const now = Date.now(), q = new URLSearchParams(location.search), t = { at: new Date(now).toISOString() };
    TAGS.forEach((k) => { const v = q.get(k); if (v) t[k] = v.slice(0, 150); });
    let ext = false;
    try { ext = !!d.referrer && new URL(d.referrer).hostname !== location.hostname; } catch (e) { /* no referrer */ }
    if (ext) t.referrer = clean(d.referrer);
    t.landing_page = clean(location.href, true);
    const signal = ext || TAGS.some((k) => t[k]);
    if (!j || !j.f || !j.l) j = { f: t, l: t, n: 1, s: now };
    else {
      if (now - j.s > SESSION) j.n += 1;
      if (signal) j.l = t;
      j.s = now;
    }
    save(j);
    return j;
  }

  // --- The form. ---
  if (!opt.form) return;
  const seq = (w.__lfSeq = (w.__lfSeq || 0) + 1);
  const host = opt.target ? d.querySelector(opt.target) : me.insertAdjacentElement('afterend', d.createElement('div'));
  if (!host) return;
  styles();
  const lang = opt.lang || d.documentElement.lang || navigator.language || 'en';
  const get = (path) => fetch(base + path, { credentials: 'omit', headers: { accept: 'application/json' } }).then((r) => (r.ok ? r.json() : Promise.reject(r.status)));
  host.setAttribute('aria-busy', 'true');
  Promise.all([get('/forms/' + encodeURIComponent(opt.form) + '?lang=' + encodeURIComponent(lang)), get('/forms/' + encodeURIComponent(opt.form) + '/start').catch(() => ({}))])
    .then(([def, start]) => render(def, start))
    .catch(() => { host.textContent = /^es/i.test(lang) ? 'El formulario no está disponible ahora. Por favor llámenos.' : 'The form is not available right now. Please call us instead.'; })
    .finally(() => host.removeAttribute('aria-busy'));

  function styles() {
    if (w.__lfStyled) return;
    w.__lfStyled = true;
    try {
      const s = new CSSStyleSheet();
      s.replaceSync(css);
      d.adoptedStyleSheets = [...d.adoptedStyleSheets, s];
    } catch (e) { /* unstyled, still usable */ }
  }

  function h(tag, attrs, ...kids) {
    const el = d.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === false || v == null) continue;
      if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    kids.forEach((c) => c && el.append(c));
    return el;
  }

  function render(def, start) {
    const t = def.texts, pre = 'lf' + seq + '-', inputs = {}, errors = {};
    const title = h('h2', { id: pre + 'title', text: t.title });
    const form = h('form', { class: 'lf-form', novalidate: true, 'aria-labelledby': pre + 'title' }, title);
    if (t.intro) form.append(h('p', { class: 'lf-intro', text: t.intro }));
    const summary = h('div', { class: 'lf-summary', role: 'alert', tabindex: '-1', hidden: true });
    form.append(summary);
    const hidden = (name, value) => form.append(h('input', { type: 'hidden', name, value }));
    for (const k in def.hidden) hidden(k, def.hidden[k]);
    if (start.field && start.token) hidden(start.field, start.token);

    def.fields.forEach((f) => {
      const id = pre + f.name, help = f.help && h('p', { class: 'lf-help', id: id + '-help', text: f.help });
      const err = h('p', { class: 'lf-error', id: id + '-error', hidden: true });
      const label = h('label', { for: id, text: f.label });
      if (f.required) label.append(' ', h('span', { class: 'lf-req', text: '(' + t.required + ')' }));
      const common = { id, name: f.name, required: f.required, 'aria-required': f.required ? 'true' : null, 'aria-describedby': help ? id + '-help' : null, autocomplete: f.autocomplete };
      let input;
      if (f.kind === 'select') {
        input = h('select', common, h('option', { value: '', text: t.choose }));
        f.options.forEach((o) => input.append(h('option', { value: o.value, text: o.label })));
      } else if (f.kind === 'textarea') input = h('textarea', Object.assign({ rows: 4, maxlength: f.max_length }, common));
      else {
        const type = { tel: 'tel', email: 'email', date: 'date' }[f.kind] || 'text';
        input = h('input', Object.assign({ type, maxlength: f.max_length, inputmode: f.kind === 'amount' ? 'decimal' : null }, common));
      }
      inputs[f.name] = input;
      errors[f.name] = err;
      form.append(h('div', { class: 'lf-field' }, label, help, input, err));
    });

    if (def.consent.length) {
      const set = h('fieldset', { class: 'lf-consent', 'aria-describedby': pre + 'consent-help' }, h('legend', { text: t.consent_legend }), h('p', { class: 'lf-help', id: pre + 'consent-help', text: t.consent_help }));
      def.consent.forEach((c) => {
        const id = pre + c.field;
        set.append(h('div', { class: 'lf-check' }, h('input', { type: 'checkbox', id, name: c.field, value: 'true', 'aria-describedby': id + '-text' }), h('label', { for: id, text: c.label }), h('p', { class: 'lf-consent-text', id: id + '-text', text: c.text })));
        hidden(c.version_field, c.version);
      });
      form.append(set);
    }
    if (def.screening.honeypot) {
      form.append(h('div', { class: 'lf-hp', 'aria-hidden': 'true' }, h('label', { for: pre + 'hp', text: t.honeypot }), h('input', { type: 'text', id: pre + 'hp', name: def.screening.honeypot, tabindex: '-1', autocomplete: 'off' })));
    }
    const button = h('button', { type: 'submit', class: 'lf-submit', text: t.submit });
    const status = h('p', { class: 'lf-sr', role: 'status', 'aria-live': 'polite' });
    form.append(button, status);
    host.replaceChildren(form);

    const msg = (code, field) => def.messages[field === 'phone' && code === 'required' && !(inputs.phone && inputs.phone.required) ? 'contact_required' : code] || def.messages.required;
    const val = (n) => (inputs[n] ? inputs[n].value.trim() : '');

    // The server's rules, checked before sending; the server checks them again.
    function check() {
      const out = [];
      def.fields.forEach((f) => {
        const v = val(f.name);
        if (!v) { if (f.required) out.push({ field: f.name, message: msg('required', f.name) }); return; }
        let code = null;
        if (v.length > f.max_length) code = 'too_long';
        else if (f.kind === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) code = 'invalid_email';
        else if (f.kind === 'tel' && (!/^[\d\s()+.\-]+$/.test(v) || !/^(\D*\d){7,15}\D*$/.test(v))) code = 'invalid_phone';
        else if (f.kind === 'amount' && !/^[$\d,.\s]+$/.test(v)) code = 'invalid_amount';
        else if (f.kind === 'date' && !(v < new Date().toISOString().slice(0, 10))) code = 'out_of_range';
        else if (f.name === 'state' && !/^[A-Za-z]{2,3}$/.test(v)) code = 'invalid_state';
        else if (f.name === 'postal_code' && !/^[A-Za-z0-9 \-]+$/.test(v)) code = 'invalid_characters';
        if (code) out.push({ field: f.name, message: msg(code, f.name) });
      });
      if (inputs.phone && inputs.email && !val('phone') && !val('email') && !out.some((e) => e.field === 'phone')) out.push({ field: 'phone', message: msg('required', 'phone') });
      return out;
    }

    function clear() {
      summary.hidden = true;
      summary.replaceChildren();
      for (const n in inputs) {
        errors[n].hidden = true;
        inputs[n].removeAttribute('aria-invalid');
        describe(inputs[n], (inputs[n].getAttribute('aria-describedby') || '').replace(errors[n].id, ''));
        inputs[n].parentNode.classList.remove('lf-invalid');
      }
    }
    // Each problem next to its field, and a summary that links to them and takes the focus.
    function show(list, notice) {
      const ul = h('ul');
      list.forEach((e) => {
        const input = inputs[e.field], err = errors[e.field];
        if (input) {
          err.textContent = e.message;
          err.hidden = false;
          input.setAttribute('aria-invalid', 'true');
          describe(input, (input.getAttribute('aria-describedby') || '') + ' ' + err.id);
          input.parentNode.classList.add('lf-invalid');
          const a = h('a', { href: '#' + input.id, text: labelOf(e.field) + ': ' + e.message });
          a.addEventListener('click', (ev) => { ev.preventDefault(); input.focus(); });
          ul.append(h('li', null, a));
        } else ul.append(h('li', { text: e.message }));
      });
      summary.replaceChildren(h('p', { text: notice || t.error_summary }), list.length ? ul : null);
      summary.hidden = false;
      summary.focus();
    }
    function describe(el, ids) {
      ids = ids.trim().replace(/\s+/g, ' ');
      if (ids) el.setAttribute('aria-describedby', ids);
      else el.removeAttribute('aria-describedby');
    }
    const labelOf = (n) => (def.fields.find((f) => f.name === n) || { label: n }).label;
    const idle = () => { button.disabled = false; button.textContent = t.submit; status.textContent = ''; };

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (button.disabled) return;
      clear();
      const problems = check();
      if (problems.length) return show(problems);
      button.disabled = true;
      button.textContent = status.textContent = t.sending;
      send(true);
    });

    function send(withJourney) {
      const body = new URLSearchParams(new FormData(form));
      for (const [k, v] of [...body]) if (!v) body.delete(k);
      def.consent.forEach((c) => { if (!body.has(c.field)) body.set(c.field, 'false'); });
      body.set('page_url', clean(location.href, true) || '');
      const j = lf.journey;
      if (withJourney && j && !lf.off) {
        const journey = { first: j.f, latest: j.l, visits: j.n };
        if (lf.analytics && j.id) journey.visitor = j.id;
        body.set('journey', JSON.stringify(journey));
      }
      fetch(base + '/leads', { method: 'POST', body, credentials: 'omit', headers: { accept: 'application/json' } })
        .then((r) => r.json().catch(() => ({})).then((b) => [r.status, b]))
        .then(([code, b]) => {
          if (code === 202 || code === 200) return done();
          const fields = Array.isArray(b.fields) ? b.fields : [];
          // A damaged attribution cookie never stops an inquiry: start it afresh, send without.
          if (code === 422 && withJourney && fields.some((e) => e.field === 'journey')) {
            forget();
            lf.journey = lf.off ? null : touch(null);
            return send(false);
          }
          idle();
          if (code === 422 && fields.length) {
            const token = fields.find((e) => e.field === def.screening.start_field && e.code !== 'submitted_too_fast');
            if (token) get('/forms/' + encodeURIComponent(def.form) + '/start').then((s) => { if (s.token) form.elements[s.field].value = s.token; }).catch(() => {});
            return show(fields);
          }
          show([], code === 429 ? t.error_rate_limited : code >= 500 ? t.error_network : t.error_refused);
        })
        .catch(() => { idle(); show([], t.error_network); });
    }

    function done() {
      if (opt.redirect) { location.href = opt.redirect; return; }
      const box = h('div', { class: 'lf-success', role: 'status', tabindex: '-1' }, h('h2', { text: t.success_title }), h('p', { text: t.success }));
      form.replaceChildren(box);
      box.focus();
    }
  }
})();
