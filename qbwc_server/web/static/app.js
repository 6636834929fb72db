// Small enhancements only: every page works without this script.
// - Copy buttons (data-copy="input id") copy the input's value and say so.
// - Pages with <body data-refresh="N"> reload every N seconds while nobody types or moves the
//   keyboard focus (removing the attribute stops it).
(function () {
  "use strict";
  function copyFrom(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var result = document.getElementById("copy-result");
    if (!input) { return; }
    function done(ok) {
      if (result) { result.textContent = ok ? "Copied" : "Select the key and copy it (Ctrl+C)"; }
    }
    input.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () {
        done(document.execCommand && document.execCommand("copy"));
      });
    } else {
      done(document.execCommand && document.execCommand("copy"));
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (event) { copyFrom(event.currentTarget); });
    }
    var seconds = parseInt(document.body.getAttribute("data-refresh") || "", 10);
    if (seconds > 0) {
      var typing = false;
      document.addEventListener("input", function () { typing = true; });
      window.setInterval(function () {
        // Not while someone types, or moves through the page with the keyboard.
        var active = document.activeElement;
        var busy = typing || (active && active !== document.body);
        if (!busy && document.body.hasAttribute("data-refresh")) {
          window.location.replace(document.body.getAttribute("data-refresh-url") || window.location.href);
        }
      }, seconds * 1000);
    }
  });
})();
