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
      var layout = document.getElementById("f-price_layout");
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; input.removeAttribute("aria-invalid"); });
      copy.querySelectorAll("select[data-product]").forEach(function (select) { select.value = ""; });
      copy.querySelectorAll("select[name=line_price_basis]").forEach(function (select) { select.value = layout ? layout.value : "net"; });
      copy.querySelectorAll(".error").forEach(function (node) { node.remove(); });
      copy.querySelectorAll(".line-amount").forEach(function (node) { node.textContent = ""; });
      copy.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
      last.parentNode.appendChild(copy);
      copy.querySelector("select, input").focus();
    });
  }

  // Picking a product fills its line: description, unit, price (net or gross, as the product keeps it) and tax rate.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-product]") || !select.value) { return; }
    var option = select.options[select.selectedIndex];
    var line = select.closest("[data-line]");
    var set = function (name, value) {
      var input = line.querySelector("[name=line_" + name + "]");
      if (input && value !== undefined) { input.value = value; }
    };
    set("description", option.getAttribute("data-title"));
    set("unit", option.getAttribute("data-unit"));
    set("unit_price", option.getAttribute("data-price"));
    set("price_basis", option.getAttribute("data-basis"));
    set("tax_rate", option.getAttribute("data-tax"));
    var quantity = line.querySelector("[name=line_quantity]");
    if (quantity && !quantity.value) { quantity.value = "1"; }
  });

  // The document's price layout is the default basis of lines without a price yet.
  var layoutSelect = document.getElementById("f-price_layout");
  if (layoutSelect) {
    layoutSelect.addEventListener("change", function () {
      document.querySelectorAll("#lines [data-line]").forEach(function (line) {
        var price = line.querySelector("[name=line_unit_price]");
        var basis = line.querySelector("[name=line_price_basis]");
        if (price && basis && !price.value) { basis.value = layoutSelect.value; }
      });
    });
  }

  // A field shown for one document type only (show_prices for delivery notes).
  var typeSelect = document.getElementById("f-type");
  if (typeSelect) {
    typeSelect.addEventListener("change", function () {
      document.querySelectorAll("[data-for-type]").forEach(function (node) {
        node.hidden = node.getAttribute("data-for-type") !== typeSelect.value;
      });
    });
  }

  // The draft's totals, computed by the server as lines change (the form posts the same without this).
  var draft = document.querySelector("form[data-totals]");
  if (draft) {
    var timer = null;
    var asked = 0;
    var clearErrors = function () {
      draft.querySelectorAll(".cell .error, .field .error").forEach(function (node) { node.remove(); });
      draft.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
      draft.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
    };
    var fieldOf = function (name) {
      var match = /^lines\[(\d+)\]\.(\w+)/.exec(name);
      if (!match) { return document.getElementById("f-" + name); }
      var row = draft.querySelectorAll("#lines [data-line]")[Number(match[1])];
      var column = match[2] === "gross_unit_price" ? "unit_price" : match[2];
      return row ? row.querySelector("[name=line_" + column + "]") : null;
    };
    var showErrors = function (errors) {
      Object.keys(errors).forEach(function (name) {
        var input = fieldOf(name);
        if (!input) { return; }
        var message = document.createElement("span");
        message.className = "error";
        message.textContent = errors[name];
        input.setAttribute("aria-invalid", "true");
        input.parentNode.classList.add("has-error");
        input.parentNode.appendChild(message);
      });
    };
    var recompute = function () {
      var mine = ++asked;
      var body = new FormData(draft);
      fetch(draft.getAttribute("data-totals"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "x-csrf-token": body.get("_csrf"), "accept": "application/json" }
      }).then(function (response) {
        return response.json();
      }).then(function (answer) {
        if (mine !== asked) { return; }
        clearErrors();
        if (answer.totals) {
          draft.querySelectorAll("#lines [data-line]").forEach(function (row, index) {
            var amount = row.querySelector("[data-amount]");
            if (amount) { amount.textContent = answer.amounts[String(index)] || ""; }
          });
          document.getElementById("totals").outerHTML = answer.totals;
        }
        showErrors(answer.errors || {});
      }).catch(function () { /* the page still saves with a plain POST */ });
    };
    var later = function (event) {
      if (event.target.id === "client-search") { return; }
      clearTimeout(timer);
      timer = setTimeout(recompute, 300);
    };
    draft.addEventListener("input", later);
    draft.addEventListener("change", later);
  }

  // The client picker's search asks the server, so every client can be found, not only the first hundred.
  var search = document.getElementById("client-search");
  var picker = document.getElementById("f-client_id");
  if (search && picker) {
    var searchTimer = null;
    search.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () {
        fetch("/documents/clients?q=" + encodeURIComponent(search.value), { credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (clients) {
            var chosen = picker.value;
            var kept = Array.prototype.filter.call(picker.options, function (option) { return !option.value || option.value === chosen; });
            picker.innerHTML = "";
            kept.forEach(function (option) { picker.appendChild(option); });
            clients.forEach(function (client) {
              if (client.id === chosen) { return; }
              var option = document.createElement("option");
              option.value = client.id;
              option.textContent = client.name + (client.number ? " (" + client.number + ")" : "");
              picker.appendChild(option);
            });
            if (!chosen && clients.length === 1) { picker.value = clients[0].id; picker.dispatchEvent(new Event("change", { bubbles: true })); }
          });
      }, 250);
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
