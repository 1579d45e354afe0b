// leadflow staff console: the little the pages need beyond HTML and htmx's refreshes.
// * Live countdowns to each first-contact deadline (`data-due` on a `.countdown`).
// * Automatic sign-out after the configured idle time (HIPAA automatic logoff): the screen is
//   cleared by leaving for the signed-out page. Typing and clicking count as activity and keep
//   the server's session alive (at most once a minute); background refreshes do not.
// Loaded as a file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  var body = document.body;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function span(seconds) {
    var s = Math.abs(Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return h > 0 ? h + " h " + pad(m) + " min" : m + ":" + pad(r);
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll(".countdown[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var left = (due - now) / 1000;
      var text = left >= 0 ? span(left) + " left" : span(left) + " overdue";
      if (el.textContent !== text) { el.textContent = text; }
      el.classList.toggle("overdue", left < 0);
    }
  }
  tick();
  setInterval(tick, 1000);

  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var signedOut = body.getAttribute("data-signed-out-url");
  var touchUrl = body.getAttribute("data-touch-url");
  var csrf = body.getAttribute("data-csrf");
  if (idle > 0 && signedOut) {
    var last = Date.now();
    var lastTouch = Date.now();
    var activity = function () {
      last = Date.now();
      if (touchUrl && csrf && last - lastTouch > 60000) {
        lastTouch = last;
        fetch(touchUrl, { method: "POST", headers: { "x-csrf-token": csrf }, credentials: "same-origin" });
      }
    };
    ["keydown", "pointerdown", "input", "scroll"].forEach(function (e) {
      document.addEventListener(e, activity, { passive: true, capture: true });
    });
    setInterval(function () {
      if (Date.now() - last >= idle * 1000) { window.location.replace(signedOut); }
    }, 1000);
  }

  // A background refresh that finds the session over goes to the sign-in page.
  document.addEventListener("htmx:responseError", function (e) {
    if (e.detail && e.detail.xhr && e.detail.xhr.status === 401 && signedOut) { window.location.replace(signedOut); }
  });
})();
