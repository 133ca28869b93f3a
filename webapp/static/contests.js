/* Contest pages: live submission status, live scoreboard, small form helpers. No frameworks. */
(function () {
  "use strict";

  function text(el, value) { if (el) { el.textContent = value == null ? "" : String(value); } }
  function fmt(x, digits) { return x == null ? "" : Number(x).toFixed(digits); }
  function num(x) { return x == null ? "" : String(Math.round(Number(x) * 1000) / 1000); }

  // --- submission page: poll the JSON endpoint every second until judged -------------------------
  function watchSubmission(root) {
    var url = root.getAttribute("data-url");
    var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
    var field = function (name) { return root.querySelector('[data-field="' + name + '"]'); };
    var delay = 1000, failures = 0;

    function render(d) {
      text(field("status"), labels[d.status] || d.status);
      var v = field("verdict");
      if (v) {
        v.className = "verdict" + (d.verdict ? " v-" + d.verdict : "");
        text(v, d.verdict ? d.verdict + " — " + (labels[d.verdict] || d.verdict) : "");
      }
      text(field("score"), d.score == null ? "" : num(d.score) + " / " + num(d.max_score));
      text(field("time"), d.time == null ? "" : fmt(d.time, 3) + " s");
      text(field("memory"), d.memory == null ? "" : d.memory + " KiB");
      var prog = field("progress");
      if (prog) {
        text(prog, !d.done && d.tests_total ? (labels.tests_done || "{n}/{t}")
          .replace("{n}", d.tests.length).replace("{t}", d.tests_total) : "");
      }
      var comp = field("compile");
      if (comp) {
        comp.hidden = !d.compile_output;
        text(field("compile_output"), d.compile_output || "");
      }
      var body = field("tests");
      if (body) {
        while (body.firstChild) { body.removeChild(body.firstChild); }
        d.tests.forEach(function (t) {
          var tr = document.createElement("tr");
          [t.index + 1, t.name, t.verdict, t.time == null ? "" : fmt(t.time, 3), t.memory == null ? "" : t.memory]
            .forEach(function (value, i) {
              var td = document.createElement("td");
              if (i === 2) { td.className = "verdict v-" + t.verdict; }
              td.textContent = String(value);
              tr.appendChild(td);
            });
          body.appendChild(tr);
        });
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (d) {
          failures = 0;
          render(d);
          if (!d.done) { setTimeout(poll, delay); }
        })
        .catch(function () {
          failures += 1;  // back off while the server is unreachable
          setTimeout(poll, Math.min(30000, delay * Math.pow(2, failures)));
        });
    }
    if (root.getAttribute("data-done") !== "true") { setTimeout(poll, delay); }
  }

  // --- scoreboard, queue: replace a block with its server-rendered fragment (data-poll) -------------
  function watchFragment(root) {
    var url = root.getAttribute("data-poll");
    var interval = parseInt(root.getAttribute("data-interval") || "0", 10);
    if (!url || !interval) { return; }
    function poll() {
      if (document.hidden) { setTimeout(poll, interval); return; }
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) { root.innerHTML = html; })  // our own escaped template
        .catch(function () {})
        .then(function () { setTimeout(poll, interval); });
    }
    setTimeout(poll, interval);
  }

  // --- forms: confirm dangerous actions; pick the language from the chosen file's extension ----------
  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  }

  function languageFromFile() {
    document.querySelectorAll("form.submit-form").forEach(function (form) {
      var exts = JSON.parse(form.getAttribute("data-extensions") || "{}");
      var file = form.querySelector('input[type="file"]');
      var select = form.querySelector("select");
      if (!file || !select) { return; }
      file.addEventListener("change", function () {
        var name = (file.files[0] && file.files[0].name || "").toLowerCase();
        var dot = name.lastIndexOf(".");
        if (dot < 0) { return; }
        var ext = name.slice(dot);
        if (select.value && (exts[select.value] || []).indexOf(ext) >= 0) { return; }
        Object.keys(exts).some(function (key) {
          if (exts[key].indexOf(ext) >= 0) { select.value = key; return true; }
          return false;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var sub = document.getElementById("submission");
    if (sub) { watchSubmission(sub); }
    document.querySelectorAll("[data-poll]").forEach(watchFragment);
    confirmForms();
    languageFromFile();
  });
})();
