/* Package jobs (checker compilation at upload, verify): poll the job's status, show it, and load
   data-done-url (or reload) when the job has ended. */
(function () {
  "use strict";
  var root = document.getElementById("package-job");
  if (!root) { return; }
  var state = root.querySelector('[data-field="state"]');
  var bar = root.querySelector('[data-field="bar"]');
  var labels = JSON.parse(state.getAttribute("data-labels") || "{}");
  var failures = 0;

  function render(d) {
    state.textContent = labels[d.state] || d.state;
    if (bar && d.total) { bar.max = d.total; bar.value = d.done; bar.textContent = d.done + "/" + d.total; }
  }

  function poll() {
    fetch(root.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (d) {
        failures = 0;
        render(d);
        if (d.final) { window.location.assign(root.getAttribute("data-done-url") || window.location.href); }
        else { setTimeout(poll, 700); }
      })
      .catch(function () { failures += 1; setTimeout(poll, Math.min(10000, 1000 * failures)); });
  }
  state.textContent = labels[state.textContent] || state.textContent;
  poll();
})();
