/* Bulk import page: poll the job's status, move the bar, open the credentials list when done. */
(function () {
  "use strict";
  var root = document.getElementById("import-progress");
  if (!root) { return; }
  var bar = root.querySelector('[data-field="bar"]');
  var done = root.querySelector('[data-field="done"]');
  var state = root.querySelector('[data-field="state"]');
  var noWorker = root.querySelector('[data-field="no_worker"]');
  var labels = JSON.parse(state.getAttribute("data-labels") || "{}");
  var failures = 0;

  function render(d) {
    bar.max = d.total || 1;
    bar.value = d.done;
    bar.textContent = d.done + "/" + d.total;
    done.textContent = String(d.done);
    state.textContent = labels[d.state] || d.state;
    noWorker.hidden = !d.no_worker;
  }

  function poll() {
    fetch(root.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (d) {
        failures = 0;
        render(d);
        if (d.state === "done") { window.location.assign(root.getAttribute("data-result")); }
        else if (d.final) { window.location.assign(root.getAttribute("data-self")); }
        else { setTimeout(poll, 500); }
      })
      .catch(function () { failures += 1; setTimeout(poll, Math.min(10000, 1000 * failures)); });
  }
  state.textContent = labels[state.textContent] || state.textContent;
  poll();
})();
