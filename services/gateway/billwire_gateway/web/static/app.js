// Billwire web app: small enhancements over plain forms. Everything works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // "Add line" copies the last line of the draft form, emptied.
  var add = document.getElementById("add-line");
  if (add) {
    add.addEventListener("click", function () {
      var rows = document.querySelectorAll("#lines [data-line]");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; input.removeAttribute("aria-invalid"); });
      copy.querySelectorAll(".error, .line-amount").forEach(function (node) { node.textContent = ""; });
      last.parentNode.appendChild(copy);
      copy.querySelector("input").focus();
    });
  }

  // Copy buttons: data-copy names the input whose value is copied.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy"));
      var done = function () { button.textContent = button.getAttribute("data-copied") || "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done);
      } else {
        input.select();
        document.execCommand("copy");
        done();
      }
    });
  });

  // Filters apply as soon as a select changes.
  document.querySelectorAll("form.filters select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // A form is sent once: its submit buttons are disabled while the next page loads.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      setTimeout(function () {
        form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
      }, 0);
    });
  });
})();
