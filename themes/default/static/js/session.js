// Warn before an idle session ends, and let the person keep it with one button (WCAG 2.2.1).
// The page works without this script: it only adds the warning. Tabs share the time of the last
// activity through localStorage, so a tab left open does not warn while another one is in use.
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box) { return; }
  var seconds = parseInt(box.getAttribute("data-seconds"), 10);
  if (!(seconds > 0)) { return; }
  var warnBefore = Math.min(120, Math.floor(seconds / 2)) * 1000;
  var key = "participa:last-activity";
  var form = box.querySelector("form");
  var text = document.getElementById("session-warning-text");
  var login = box.querySelector(".session-warning__login");
  var timer = null;
  var lastFocus = null;

  function remember(time) {
    try { window.localStorage.setItem(key, String(time)); } catch (e) { /* private mode: this tab alone */ }
  }
  function lastActivity(fallback) {
    try {
      var stored = parseInt(window.localStorage.getItem(key), 10);
      return stored > fallback ? stored : fallback;
    } catch (e) { return fallback; }
  }
  var loadedAt = Date.now();
  remember(loadedAt);

  function schedule() {
    window.clearTimeout(timer);
    var last = lastActivity(loadedAt);
    var warnAt = last + seconds * 1000 - warnBefore;
    var endAt = last + seconds * 1000;
    var now = Date.now();
    if (now >= endAt) { ended(); return; }
    if (now >= warnAt) {
      show();
      timer = window.setTimeout(schedule, Math.min(endAt - now, 10000));
      return;
    }
    box.hidden = true;
    timer = window.setTimeout(schedule, warnAt - now);
  }
  function show() {
    if (!box.hidden) { return; }
    lastFocus = document.activeElement;
    box.hidden = false;
    form.querySelector("button").focus();
  }
  function ended() {
    box.hidden = false;
    form.hidden = true;
    text.textContent = text.getAttribute("data-ended");
    login.hidden = false;
    login.focus();
  }
  form.addEventListener("submit", function (event) {
    if (!window.fetch) { return; }  // the plain form post keeps the session and comes back here
    event.preventDefault();
    window.fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { ended(); return; }
      loadedAt = Date.now();
      remember(loadedAt);
      box.hidden = true;
      if (lastFocus && lastFocus.focus) { lastFocus.focus(); }
      schedule();
    }, function () { form.submit(); });
  });
  window.addEventListener("storage", function (event) { if (event.key === key) { schedule(); } });
  schedule();
}());
