// The fleet report's matrix: filters from the form and the URL fragment, failing
// controls first, and only the visible window of cells in the DOM (22 x 20 px cells),
// so 1,000 hosts x 800 controls opens and scrolls fast. Text goes in by textContent only.
(function () {
  "use strict";
  var W = 22, RH = 20, OVER = 2;
  var violations = 0;
  document.addEventListener("securitypolicyviolation", function () {
    violations++;
    document.body.setAttribute("data-csp-violations", String(violations));
  });
  var D = JSON.parse(document.getElementById("matrix-data").textContent);
  var H = D.hosts, C = D.controls, B = D.benchmarks, X = D.cells;
  var NAME = { P: "Pass", F: "Fail", A: "NA", R: "NR", "-": "" };
  var LETTER = { P: "P", F: "F", A: "NA", R: "NR", "-": "" };
  var CODE = { Pass: "P", Fail: "F", NA: "A", NR: "R" };
  var KEYS = ["host", "cat", "status", "bench", "q", "c", "sort", "hsort"];
  var DEFAULTS = { host: "", cat: "", status: "", bench: "", q: "", c: "", sort: "fail", hsort: "name" };
  var st = copy(DEFAULTS);
  var rows = [], cols = [];
  var $ = function (id) { return document.getElementById(id); };
  var body = $("mx-body"), spacer = $("mx-spacer"), tbody = $("mx-cells").tBodies[0];
  var colh = $("mx-colh-in"), rowh = $("mx-rowh-in"), status = $("mx-status");
  var inputs = { host: $("f-host"), cat: $("f-cat"), status: $("f-status"), bench: $("f-bench"),
    q: $("f-q"), sort: $("f-sort"), hsort: $("f-hsort") };

  function copy(o) { var r = {}; for (var k in o) r[k] = o[k]; return r; }
  function catRank(c) { return c === "I" ? 0 : c === "II" ? 1 : c === "III" ? 2 : 3; }

  // "#status=Fail&host=web" -> filter state; a fragment without "=" (an anchor such as
  // #host-3) leaves the state alone, "#all" resets it.
  function fromHash() {
    var h = location.hash.slice(1);
    if (h === "all") return copy(DEFAULTS);
    if (h.indexOf("=") < 0) return null;
    var s = copy(DEFAULTS);
    h.split("&").forEach(function (p) {
      var i = p.indexOf("=");
      if (i < 0) return;
      try {
        var k = decodeURIComponent(p.slice(0, i));
        var v = decodeURIComponent(p.slice(i + 1).replace(/\+/g, " "));
        if (KEYS.indexOf(k) >= 0) s[k] = v;
      } catch (e) { /* a malformed escape: ignore that pair */ }
    });
    return s;
  }
  function toHash() {
    var parts = [];
    KEYS.forEach(function (k) {
      if (st[k] !== DEFAULTS[k]) parts.push(k + "=" + encodeURIComponent(st[k]));
    });
    return parts.length ? "#" + parts.join("&") : "#all";
  }

  function compute() {
    var hq = st.host.toLowerCase(), q = st.q.toLowerCase(), code = CODE[st.status] || "";
    cols = [];
    for (var j = 0; j < H.length; j++) {
      if (!hq || H[j].toLowerCase().indexOf(hq) >= 0) cols.push(j);
    }
    rows = [];
    var fails = new Int32Array(C.length);
    for (var i = 0; i < C.length; i++) {
      var c = C[i];
      if (st.c && c[0] !== st.c) continue;
      if (st.cat && c[2] !== st.cat) continue;
      if (st.bench && B[c[3]] !== st.bench) continue;
      if (q && c[0].toLowerCase().indexOf(q) < 0 && c[1].toLowerCase().indexOf(q) < 0) continue;
      var s = X[i], f = 0, has = !code;
      for (var k = 0; k < cols.length; k++) {
        var ch = s.charAt(cols[k]);
        if (ch === "F") f++;
        if (ch === code) has = true;
      }
      if (!has) continue;
      fails[i] = f;
      rows.push(i);
    }
    if (st.sort === "fail") {
      rows.sort(function (a, b) { return fails[b] - fails[a] || a - b; });
    } else if (st.sort === "cat") {
      rows.sort(function (a, b) { return catRank(C[a][2]) - catRank(C[b][2]) || fails[b] - fails[a] || a - b; });
    }
    if (st.hsort === "fail") {
      var hf = new Int32Array(H.length);
      for (var r = 0; r < rows.length; r++) {
        var line = X[rows[r]];
        for (var m = 0; m < cols.length; m++) if (line.charAt(cols[m]) === "F") hf[cols[m]]++;
      }
      cols.sort(function (a, b) { return hf[b] - hf[a] || a - b; });
    }
    // A small fleet's matrix is as tall as its rows; a large one scrolls in 62% of the window.
    var tall = Math.max(3 * RH, Math.min(rows.length * RH + 18, Math.round((window.innerHeight || 900) * 0.62)));
    $("mx").style.gridTemplateRows = "120px " + tall + "px";
    spacer.style.width = (cols.length * W) + "px";
    spacer.style.height = (rows.length * RH) + "px";
    colh.style.width = (cols.length * W) + "px";
    rowh.style.height = (rows.length * RH) + "px";
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function render() {
    var vw = body.clientWidth || 800, vh = body.clientHeight || 400;
    var c0 = Math.max(0, Math.floor(body.scrollLeft / W) - OVER);
    var r0 = Math.max(0, Math.floor(body.scrollTop / RH) - OVER);
    var c1 = Math.min(cols.length, c0 + Math.ceil(vw / W) + 2 * OVER + 1);
    var r1 = Math.min(rows.length, r0 + Math.ceil(vh / RH) + 2 * OVER + 1);
    var tb = document.createElement("tbody");
    for (var r = r0; r < r1; r++) {
      var i = rows[r], line = X[i], tr = document.createElement("tr");
      tr.setAttribute("data-c", C[i][0]);
      for (var k = c0; k < c1; k++) {
        var j = cols[k], ch = line.charAt(j);
        var td = el("td", ch === "-" ? "X" : ch, LETTER[ch]);
        td.setAttribute("data-h", H[j]);
        td.title = H[j] + " / " + C[i][0] + ": " + (NAME[ch] || "not on this host");
        tr.appendChild(td);
      }
      tb.appendChild(tr);
    }
    tbody.parentNode.replaceChild(tb, tbody);
    tbody = tb;
    tb.parentNode.style.left = (c0 * W) + "px";
    tb.parentNode.style.top = (r0 * RH) + "px";

    var ch = document.createDocumentFragment();
    for (var k2 = c0; k2 < c1; k2++) {
      var hh = el("div", "hh", H[cols[k2]]);
      hh.style.left = (k2 * W) + "px";
      hh.title = H[cols[k2]];
      ch.appendChild(hh);
    }
    colh.textContent = "";
    colh.appendChild(ch);
    colh.style.transform = "translateX(" + (-body.scrollLeft) + "px)";

    var rh = document.createDocumentFragment();
    for (var r2 = r0; r2 < r1; r2++) {
      var c = C[rows[r2]], d = el("div", "rh");
      d.style.top = (r2 * RH) + "px";
      d.appendChild(el("span", "k", c[2] ? "CAT " + c[2] : ""));
      d.appendChild(el("span", "id", c[0]));
      d.appendChild(document.createTextNode(c[1]));
      d.title = c[0] + " (" + (B[c[3]] || "") + "): " + c[1];
      rh.appendChild(d);
    }
    rowh.textContent = "";
    rowh.appendChild(rh);
    rowh.style.transform = "translateY(" + (-body.scrollTop) + "px)";

    status.setAttribute("data-rows", String(rows.length));
    status.setAttribute("data-cols", String(cols.length));
    status.setAttribute("data-first-row", String(r0));
    status.setAttribute("data-first-col", String(c0));
    status.textContent = rows.length + " of " + C.length + " controls x " + cols.length + " of " +
      H.length + " hosts" + (rows.length && cols.length ? " (showing controls " + (r0 + 1) + "-" + r1 +
      ", hosts " + (c0 + 1) + "-" + c1 + "; scroll for more)" : "");
  }

  function syncInputs() {
    for (var k in inputs) inputs[k].value = st[k];
  }
  function apply(s, scroll) {
    st = s;
    syncInputs();
    compute();
    body.scrollTop = 0;
    body.scrollLeft = 0;
    render();
    if (scroll) $("matrix").scrollIntoView();
  }

  var pending = false;
  body.addEventListener("scroll", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; render(); });
  });
  window.addEventListener("resize", function () { render(); });
  $("mx-filters").addEventListener("input", function () {
    var s = copy(st);
    for (var k in inputs) s[k] = inputs[k].value;
    if (s.q !== st.q || s.cat !== st.cat || s.bench !== st.bench || s.status !== st.status) s.c = "";
    apply(s, false);
    history.replaceState(null, "", toHash());
  });
  $("mx-filters").addEventListener("submit", function (e) { e.preventDefault(); });
  window.addEventListener("hashchange", function () {
    var s = fromHash();
    if (s) apply(s, true);
  });

  apply(fromHash() || copy(DEFAULTS), false);
  $("matrix").setAttribute("data-ready-ms", String(Math.round(performance.now())));
})();
