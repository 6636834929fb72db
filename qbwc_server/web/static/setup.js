// The setup page (web/setup_page.py): a Copy button for the new Connector Key, and the
// checklist re-read from the page itself every few seconds. The page works without this.
(function () {
  "use strict";

  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.getElementById("copy-status");
      if (!field) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var done = function () { if (status) status.textContent = "Copied. Now paste it into the Web Connector."; };
        field.select();
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(field.value).then(done, function () {
            document.execCommand("copy");
            done();
          });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  function liveStatus() {
    // Every [data-live] part of the page is swapped for the same part of a fresh copy.
    var region = document.getElementById("setup-status");
    if (!region) return;
    var url = region.getAttribute("data-refresh");
    var seconds = parseInt(region.getAttribute("data-refresh-seconds"), 10) || 5;
    var note = document.querySelector("[data-live-note]");
    if (note) note.hidden = false;
    function again() { window.setTimeout(tick, seconds * 1000); }
    function tick() {
      fetch(url, { cache: "no-store", credentials: "omit", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (response.status === 404) {
            region.innerHTML = "<p class=\"bad\">This setup link no longer works. Ask for a new one.</p>";
            document.querySelectorAll("[data-live]").forEach(function (part) {
              if (part !== region) part.innerHTML = "";
            });
            return null;
          }
          return response.ok ? response.text() : "";
        })
        .then(function (html) {
          if (html === null) return;
          if (html) {
            var fresh = new DOMParser().parseFromString(html, "text/html");
            document.querySelectorAll("[data-live]").forEach(function (part) {
              var next = fresh.getElementById(part.id);
              if (next && next.innerHTML !== part.innerHTML) part.innerHTML = next.innerHTML;
            });
          }
          again();
        })
        .catch(again);
    }
    again();
  }

  copyButtons();
  liveStatus();
})();
