/* flowledger console: shared helpers of the dataflow pages. Plain JavaScript, no build step. */
(function (w) {
  'use strict';
  var C = {};

  C.esc = function (v) {
    var t = v === null || v === undefined ? '' : String(v);
    return t.replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  };

  /** 850 ms, 12 s, 3 min 04 s, 2 h 05 min, 3 d 4 h */
  C.duration = function (ms) {
    if (ms === null || ms === undefined || ms < 0) { return ''; }
    if (ms < 1000) { return ms + ' ms'; }
    var s = Math.floor(ms / 1000);
    if (s < 60) { return s + ' s'; }
    var m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    if (m < 60) { return m + ' min ' + two(s % 60) + ' s'; }
    if (h < 24) { return h + ' h ' + two(m % 60) + ' min'; }
    return d + ' d ' + (h % 24) + ' h';
  };

  C.ago = function (iso) {
    if (!iso) { return ''; }
    return C.duration(Math.max(0, Date.now() - Date.parse(iso))) + ' ago';
  };

  C.time = function (iso) {
    if (!iso) { return ''; }
    return '<time datetime="' + C.esc(iso) + '" title="' + C.esc(iso) + '">' + C.esc(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) + '</time>';
  };

  /**
   * What the page shows as the dataflow's marking: HALTED (a pattern pipe's run its circuit breaker holds; the API
   * says FAILED with halted: true), FAILED, STALLED (running without news), WAITING (its process did its part and
   * waits for input; the API says RUNNING, not finished, with waiting: true), RUNNING, SUCCEEDED.
   */
  C.marking = function (d) {
    if (d.halted) { return 'HALTED'; }
    if (d.waiting) { return 'WAITING'; }
    return d.state === 'RUNNING' && d.stalled ? 'STALLED' : d.state;
  };

  C.badge = function (d) {
    var m = C.marking(d);
    var title = m === 'STALLED' ? 'running, but no news for longer than its pipeline\'s heartbeat ('
      + C.duration((d.heartbeatSeconds || 0) * 1000) + ')'
      : m === 'WAITING' ? 'waiting for ' + (d.waitingFor || 'input')
      : m === 'HALTED' ? 'needs attention: its circuit breaker holds the pipe (commit or roll back the held change)'
      : m.toLowerCase();
    return '<span class="badge ' + C.esc(m) + '" title="' + C.esc(title) + '">' + C.esc(m) + '</span>';
  };

  /** A progress bar that fills (block elements), and what it counts in records. */
  C.progress = function (d) {
    var pct = d.progress === null || d.progress === undefined ? (d.finished ? 100 : 0) : Math.round(d.progress * 100);
    var known = d.recordCount !== null && d.recordCount !== undefined;
    var label = known ? C.esc(d.recordsDone) + ' / ' + C.esc(d.recordCount) + ' (' + pct + '%)'
      : C.esc(d.recordsDone) + ' record(s)' + (d.finished ? '' : ' so far');
    var aria = known ? d.recordsDone + ' of ' + d.recordCount + ' records' : d.recordsDone + ' records';
    return '<div class="bar" role="progressbar" aria-valuenow="' + pct + '" aria-valuemin="0" aria-valuemax="100"'
      + ' aria-valuetext="' + C.esc(aria) + '"><div class="fill" style="width:' + pct + '%"></div></div>'
      + '<span class="count">' + label + '</span>';
  };

  C.failure = function (f) {
    if (!f) { return ''; }
    return C.esc(f.stage) + ': ' + C.esc(f.message) + (f.errorCode !== null && f.errorCode !== undefined
      ? ' (' + C.esc(f.errorCode) + ')' : '');
  };

  /** GET a JSON document; resolves {status, body}. */
  C.getJson = function (url) {
    return fetch(url, {headers: {'Accept': 'application/json'}, cache: 'no-store'}).then(function (r) {
      return r.text().then(function (t) {
        var body = null;
        try { body = t ? JSON.parse(t) : null; } catch (e) { body = {error: t}; }
        return {status: r.status, body: body};
      });
    });
  };

  // ---------------------------------------------------------------- actions (behind the API login)
  var KEY = 'flowledger.api.credentials';

  C.credentials = function () { return w.sessionStorage.getItem(KEY); };
  C.signIn = function (user, password) { w.sessionStorage.setItem(KEY, w.btoa(user + ':' + password)); };
  C.signOut = function () { w.sessionStorage.removeItem(KEY); };

  /** POST with the signed-in user's credentials; resolves {status, body}. */
  C.post = function (url) {
    var headers = {'Accept': 'application/json'};
    if (C.credentials()) { headers.Authorization = 'Basic ' + C.credentials(); }
    // credentials 'omit': a refused login comes back to the page instead of opening the browser's own dialog
    return fetch(url, {method: 'POST', headers: headers, cache: 'no-store', credentials: 'omit'}).then(function (r) {
      return r.text().then(function (t) {
        var body = null;
        try { body = t ? JSON.parse(t) : null; } catch (e) { body = {message: t}; }
        return {status: r.status, body: body};
      });
    });
  };

  /** A scalar value as text (objects as compact JSON). */
  C.value = function (v) {
    if (v === null || v === undefined) { return ''; }
    if (typeof v === 'object') { return C.esc(JSON.stringify(v)); }
    return C.esc(v);
  };

  /** An object's scalar fields as a definition list; arrays of objects as tables after it. */
  C.facts = function (obj, skip) {
    skip = skip || [];
    var dl = '', tables = '';
    Object.keys(obj || {}).forEach(function (k) {
      if (skip.indexOf(k) >= 0) { return; }
      var v = obj[k];
      if (Array.isArray(v) && v.length && typeof v[0] === 'object') {
        tables += '<h3>' + C.esc(k) + '</h3>' + C.table(v);
      } else {
        dl += '<dt>' + C.esc(k) + '</dt><dd class="fact-' + C.esc(k) + '">' + C.value(v) + '</dd>';
      }
    });
    return '<dl class="facts">' + dl + '</dl>' + tables;
  };

  /**
   * A table of chosen columns: cols = [[key, heading, cssClass?], ...]; rows get data-key = row[keyField] when given.
   */
  C.columns = function (rows, cols, keyField, id) {
    return '<table class="grid"' + (id ? ' id="' + C.esc(id) + '"' : '') + '><thead><tr>' + cols.map(function (c) {
      return '<th scope="col">' + C.esc(c[1]) + '</th>';
    }).join('') + '</tr></thead><tbody>' + rows.map(function (r) {
      return '<tr' + (keyField ? ' data-key="' + C.esc(r[keyField]) + '"' : '') + '>' + cols.map(function (c) {
        return '<td data-label="' + C.esc(c[1]) + '"' + (c[2] ? ' class="' + c[2] + '"' : '') + '>' + C.value(r[c[0]]) + '</td>';
      }).join('') + '</tr>';
    }).join('') + '</tbody></table>';
  };

  C.table = function (rows) {
    var cols = [];
    rows.forEach(function (r) { Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0) { cols.push(k); } }); });
    return '<table class="grid"><thead><tr>' + cols.map(function (c) { return '<th scope="col">' + C.esc(c) + '</th>'; }).join('')
      + '</tr></thead><tbody>' + rows.map(function (r) {
        return '<tr>' + cols.map(function (c) { return '<td data-label="' + C.esc(c) + '">' + C.value(r[c]) + '</td>'; }).join('') + '</tr>';
      }).join('') + '</tbody></table>';
  };

  w.Console = C;
})(window);
