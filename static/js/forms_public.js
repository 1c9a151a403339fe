// Live show/hide and required marks of a schema form: the mirror of forms_builder/logic.py, operator for operator.
// Only a courtesy: the server evaluates the same rules again and stores nothing they do not allow.
// window.scrmFormLogic(form, rules) attaches the rules to a form (the editor's preview calls it again on each render).
(function () {
  "use strict";

  function isEmpty(v) { return v === null || v === undefined || v === "" || v === false || (Array.isArray(v) && v.length === 0); }
  function number(v) {
    if (typeof v === "boolean" || v === null || v === undefined) { return null; }
    var s = String(v).trim();
    return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? parseFloat(s) : null;
  }
  function same(a, b) {
    var x = number(a), y = number(b);
    if (x !== null && y !== null) { return x === y; }
    return String(a) === String(b);
  }
  function list(v) { return Array.isArray(v) ? v : [v]; }

  function holds(c, answers) {
    var value = answers[c.field], op = c.op, expected = c.value;
    if (op === "is_empty") { return isEmpty(value); }
    if (op === "not_empty") { return !isEmpty(value); }
    if (isEmpty(value)) { return op === "not_equals" && !isEmpty(expected); }
    if (op === "equals") { return Array.isArray(value) ? value.length === 1 && same(value[0], expected) : same(value, expected); }
    if (op === "not_equals") { return Array.isArray(value) ? !(value.length === 1 && same(value[0], expected)) : !same(value, expected); }
    if (op === "in") { return list(value).some(function (v) { return list(expected).some(function (o) { return same(v, o); }); }); }
    if (op === "contains") { return Array.isArray(value) ? value.some(function (v) { return same(v, expected); }) : String(value).indexOf(String(expected)) !== -1; }
    if (op === "gt" || op === "lt") { return list(value).some(function (v) { return compare(op, v, expected); }); }
    return false;
  }
  function compare(op, value, expected) {
    var a = number(value), b = number(expected);
    if (a === null || b === null) { a = String(value); b = String(expected); }
    return op === "gt" ? a > b : a < b;
  }
  function groupHolds(g, answers) {
    var cs = (g && g.conditions) || [];
    if (!cs.length) { return true; }
    var results = cs.map(function (c) { return holds(c, answers); });
    return g.mode === "any" ? results.some(Boolean) : results.every(Boolean);
  }

  // Cascading selects for region fields (province → city → district, whatever the organization's tree): the
  // field's own select stays the answer (hidden; it offers only what the server accepts) and the levels set it. The
  // tree is embedded as the JSON script "<form id>-regions": [[id, parent id, name], ...].
  function cascade(form) {
    var data = document.getElementById(form.id + "-regions");
    if (!data) { return; }
    var children = {}, parentOf = {}, names = {};
    JSON.parse(data.textContent).forEach(function (n) {
      var id = String(n[0]), parent = n[1] === null ? "" : String(n[1]);
      (children[parent] = children[parent] || []).push(id);
      parentOf[id] = parent;
      names[id] = n[2];
    });
    form.querySelectorAll("select[data-region-cascade]").forEach(function (select) {
      if (select.getAttribute("data-cascaded")) { return; }
      select.setAttribute("data-cascaded", "1");
      var offered = {}, accepted = {};
      Array.prototype.forEach.call(select.options, function (o) {
        if (!o.value) { return; }
        accepted[o.value] = true;
        for (var x = o.value; x; x = parentOf[x]) { offered[x] = true; }  // it, and the regions above it
      });
      var key = (select.closest("[data-field]") || select).getAttribute("data-field") || select.name;
      var caption = form.querySelector('label[for="' + select.id + '"]');
      var box = document.createElement("div");
      box.className = "d-flex flex-column gap-2 scrm-region-cascade";
      select.hidden = true;
      select.insertAdjacentElement("afterend", box);

      function commit(path) {
        var last = path.length ? path[path.length - 1] : "";
        select.value = accepted[last] ? last : "";
        select.dispatchEvent(new Event("change", {bubbles: true}));
      }
      function rebuild(path) {
        box.textContent = "";
        var parent = "";
        for (var depth = 0; ; depth++) {
          var ids = (children[parent] || []).filter(function (id) { return offered[id]; });
          if (!ids.length) { break; }
          var level = document.createElement("select");
          level.className = "form-select";
          // A refused region shows on the boxes the customer sees (the answer's own select is hidden).
          if (select.classList.contains("is-invalid")) {
            level.classList.add("is-invalid");
            level.setAttribute("aria-invalid", "true");
            if (select.hasAttribute("aria-describedby")) {
              level.setAttribute("aria-describedby", select.getAttribute("aria-describedby"));
            }
          }
          level.setAttribute("data-testid", "region-" + key + "-" + (depth + 1));
          level.setAttribute("aria-label", (caption ? caption.textContent : key) + " " + (depth + 1));
          level.appendChild(new Option("—", ""));
          ids.forEach(function (id) { level.appendChild(new Option(names[id], id)); });
          level.value = path[depth] || "";
          level.disabled = select.disabled;
          (function (d, element) {
            element.addEventListener("change", function (event) {
              event.stopPropagation();
              var chosen = path.slice(0, d);
              if (element.value) { chosen.push(element.value); }
              rebuild(chosen);
              commit(chosen);
            });
          }(depth, level));
          box.appendChild(level);
          if (!path[depth]) { break; }
          parent = path[depth];
        }
      }
      var start = [];
      for (var x = select.value; x; x = parentOf[x]) { start.unshift(x); }
      rebuild(start);
    });
  }

  function attach(form, rules) {
  cascade(form);
  function wrapper(key) { return form.querySelector('[data-field="' + key + '"]'); }

  function valueOf(rule) {
    var box = wrapper(rule.key);
    if (!box) { return null; }
    var inputs = box.querySelectorAll("input, select, textarea");
    if (rule.type === "multi_choice") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (rule.type === "single_choice" || rule.type === "rating") {
      var checked = Array.prototype.find.call(inputs, function (i) { return i.checked; });
      return checked ? checked.value : "";
    }
    if (rule.type === "agreement") { return inputs.length ? inputs[0].checked : false; }
    if (rule.type === "file") { return inputs.length && inputs[0].files && inputs[0].files.length ? inputs[0].files[0].name : ""; }
    return inputs.length ? String(inputs[0].value).trim() : "";
  }

  function apply() {
    var answers = {};
    rules.forEach(function (rule) {
      var box = wrapper(rule.key);
      var visible = !rule.visible_if || groupHolds(rule.visible_if, answers);
      if (box) {
        box.hidden = !visible;
        box.querySelectorAll("input, select, textarea").forEach(function (i) { i.disabled = !visible; });
        var required = rule.required || (rule.required_if ? groupHolds(rule.required_if, answers) : false);
        var mark = box.querySelector(".scrm-required-mark");
        if (mark) { mark.hidden = !required; }
      }
      if (visible && rule.type !== "info") {
        var v = valueOf(rule);
        if (!isEmpty(v)) { answers[rule.key] = v; }
      }
    });
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  apply();
  return apply;
  }

  // Every element marked data-schema-form, whose rules are in the JSON script "<its id>-logic", once (pages swapped
  // in by htmx are scanned again).
  function scan() {
    document.querySelectorAll("[data-schema-form]").forEach(function (box) {
      var data = document.getElementById(box.id + "-logic");
      if (!data || box.getAttribute("data-logic-attached")) { return; }
      box.setAttribute("data-logic-attached", "1");
      attach(box, JSON.parse(data.textContent));
    });
  }
  // The public page's form is sent once: a second tap while the first is on its way (a slow 4G upload of a photo,
  // a thumb that taps twice) would otherwise send it again and open a second ticket. The button says it is busy;
  // coming back to the page (the back button, WeChat's cache) makes it usable again.
  function sendOnce(form) {
    var button = form.querySelector("[type=submit]");
    var label = button ? button.textContent : "";
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      if (form.getAttribute("data-sending")) { event.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
      if (button) {
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy-label") || label;
      }
    });
    window.addEventListener("pageshow", function () {
      form.removeAttribute("data-sending");
      if (button) { button.disabled = false; button.textContent = label; }
    });
  }
  document.querySelectorAll("form[data-send-once]").forEach(sendOnce);

  // A file over the field's size is refused as soon as it is chosen, beside its box (the server refuses it too, but
  // only after a phone has spent minutes uploading it).
  function checkSizes(form) {
    form.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      input.addEventListener("change", function () {
        var box = input.closest("[data-field]");
        var key = box ? box.getAttribute("data-field") : input.name;
        var shown = box && box.querySelector("[data-too-large-for]");
        if (shown) { shown.remove(); }
        var max = Number(input.getAttribute("data-max-bytes"));
        var big = Array.prototype.some.call(input.files || [], function (f) { return f.size > max; });
        if (!big) { return; }
        input.value = "";
        var message = document.createElement("div");
        message.className = "invalid-feedback d-block";
        message.setAttribute("data-too-large-for", key);
        message.setAttribute("data-testid", "error-" + key);
        message.setAttribute("role", "alert");
        message.textContent = input.getAttribute("data-too-large");
        input.insertAdjacentElement("afterend", message);
      });
    });
  }
  document.querySelectorAll("form[data-send-once]").forEach(checkSizes);

  // A captcha picture that cannot be read is swapped for another (django-simple-captcha's refresh answers a new key
  // and its picture); what was typed for the old one is cleared.
  function captchaRefresh(form) {
    var button = form.querySelector("[data-captcha-refresh]");
    if (!button || !window.fetch) { return; }
    button.addEventListener("click", function () {
      var box = button.closest("section") || form;
      fetch(button.getAttribute("data-captcha-refresh"), {headers: {"X-Requested-With": "XMLHttpRequest"},
                                                          credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (fresh) {
          if (!fresh) { return; }
          var image = box.querySelector("img.captcha");
          var key = box.querySelector("input[type=hidden][name$='captcha_0']");
          var typed = box.querySelector("input[type=text][name$='captcha_1']");
          if (image) { image.src = fresh.image_url; }
          if (key) { key.value = fresh.key; }
          if (typed) { typed.value = ""; typed.focus(); }
        });
    });
  }
  document.querySelectorAll("form[data-send-once]").forEach(captchaRefresh);

  // A refused page opens on its first problem, not at the top: on a phone the field may be screens below the
  // notice that says something needs changing.
  function showFirstProblem(form) {
    var problem = form.querySelector(".invalid-feedback, [data-testid^='note-']");
    var box = problem && (problem.closest("[data-field]") || problem);
    if (!box) { return; }
    try { box.scrollIntoView({block: "center", behavior: "instant"}); } catch (e) { box.scrollIntoView(); }
  }
  document.querySelectorAll("form[data-send-once]").forEach(showFirstProblem);

  window.scrmFormLogic = attach;
  window.scrmFormLogicHolds = holds;  // for the tests that run the server's cases through the browser
  scan();
  document.addEventListener("htmx:afterSettle", scan);
}());
