/* modelexport report: the lazy loader.
 *
 * Lazy data ships as data/<key>.js files calling ModelExportReport.chunk(key, payload),
 * loaded with a <script> tag when a <details data-chunk="key"> is first opened, so the
 * page works from file:// where fetch() is refused. Payloads carry `blocks` (html, table,
 * pre) rendered here, or name a renderer a module script registered.
 */
(function () {
  "use strict";
  var R = (window.ModelExportReport = window.ModelExportReport || {});
  R.renderers = R.renderers || {};
  var data = {};
  var waiting = {};

  R.chunk = function (key, payload) {
    data[key] = payload;
    var w = waiting[key];
    if (w) { delete waiting[key]; w.resolve(payload); }
  };

  R.load = function (key) {
    if (Object.prototype.hasOwnProperty.call(data, key)) return Promise.resolve(data[key]);
    if (waiting[key]) return waiting[key].promise;
    var w = {};
    w.promise = new Promise(function (resolve, reject) { w.resolve = resolve; w.reject = reject; });
    waiting[key] = w;
    var s = document.createElement("script");
    s.src = "data/" + key + ".js";
    s.async = true;
    s.onerror = function () {
      delete waiting[key];
      w.reject(new Error("could not load data/" + key + ".js"));
    };
    s.onload = function () {
      if (waiting[key]) { delete waiting[key]; w.reject(new Error("data/" + key + ".js registered nothing")); }
    };
    document.head.appendChild(s);
    return w.promise;
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function renderTable(spec) {
    var t = el("table", spec.class || "");
    var thead = el("thead"), tr = el("tr");
    (spec.columns || []).forEach(function (c) { tr.appendChild(el("th", "", c)); });
    thead.appendChild(tr); t.appendChild(thead);
    var tbody = el("tbody");
    (spec.rows || []).forEach(function (row) {
      var r = el("tr");
      row.forEach(function (v) {
        var td = el("td");
        if (Array.isArray(v)) td.textContent = v.join(", ");
        else td.textContent = v === null || v === undefined ? "" : String(v);
        r.appendChild(td);
      });
      tbody.appendChild(r);
    });
    t.appendChild(tbody);
    return t;
  }

  R.render = function (container, payload) {
    container.textContent = "";
    if (payload && payload.renderer) {
      var fn = R.renderers[payload.renderer];
      if (!fn) throw new Error("no renderer " + payload.renderer);
      fn(container, payload);
      return;
    }
    (payload && payload.blocks || []).forEach(function (b) {
      if (b.title) container.appendChild(el("h4", "", b.title));
      if (b.html !== undefined) {
        var d = el("div"); d.innerHTML = b.html; container.appendChild(d);
      } else if (b.table) {
        container.appendChild(renderTable(b.table));
      } else if (b.pre !== undefined) {
        container.appendChild(el("pre", "", b.pre));
      } else if (b.text !== undefined) {
        container.appendChild(el("p", "muted", b.text));
      }
    });
  };

  R.open = function (details) {
    if (details.dataset.state) return;
    var body = details.querySelector(":scope > .lazy-body");
    if (!body) { body = el("div", "lazy-body"); details.appendChild(body); }
    details.dataset.state = "loading";
    body.appendChild(el("p", "muted loading", "Loading…"));
    R.load(details.dataset.chunk).then(function (payload) {
      R.render(body, payload);
      details.dataset.state = "loaded";
    }).catch(function (err) {
      body.textContent = "";
      body.appendChild(el("p", "error", String(err && err.message || err)));
      details.dataset.state = "error";
    });
  };

  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (d && d.matches && d.matches("details[data-chunk]") && d.open) R.open(d);
  }, true);

  function openInitial() {
    document.querySelectorAll("details[data-chunk][open]").forEach(R.open);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", openInitial);
  else openInitial();
})();
