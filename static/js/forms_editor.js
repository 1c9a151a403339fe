// The form editor: palette → canvas by drag and drop (SortableJS: the palette clones, the canvas reorders and moves
// fields between pages; click, Alt+↑/↓ or the arrow buttons from the keyboard),
// a property panel with the logic editor, a phone-sized preview rendered by the server's own engine, undo, save
// draft and publish. The server checks every schema against its meta-schema; its problems come back with paths.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("fe-data").textContent);
  var T = data.text;
  var schema = JSON.parse(JSON.stringify(data.schema && data.schema.sections ? data.schema
    : {sections: [{key: "s1", title: "", fields: []}]}));
  var history = [];
  var selected = null; // {s, f} or "settings"
  var csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  var palette = document.getElementById("fe-palette");
  var canvas = document.getElementById("fe-canvas");
  var props = document.getElementById("fe-props");
  var preview = document.getElementById("fe-preview");
  var status = document.getElementById("fe-status");
  var undoButton = document.getElementById("fe-undo");
  var typeLabels = {};
  data.types.forEach(function (t) { typeLabels[t.type] = t.label; });
  var CHOICES = ["single_choice", "multi_choice", "dropdown"];
  var NUMERIC = ["number", "money"];
  var TEXTUAL = ["text", "textarea", "code"];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else if (name.indexOf("on") === 0) {
        node.addEventListener(name.slice(2), attrs[name]);
      } else if (attrs[name] !== false && attrs[name] !== null && attrs[name] !== undefined) {
        node.setAttribute(name, attrs[name] === true ? "" : attrs[name]);
      }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function allFields() {
    var out = [];
    schema.sections.forEach(function (section) { section.fields.forEach(function (f) { out.push(f); }); });
    return out;
  }

  function newKey(prefix) {
    var keys = {};
    allFields().forEach(function (f) { keys[f.key] = true; });
    schema.sections.forEach(function (s) { keys[s.key] = true; });
    for (var n = 1; ; n++) { if (!keys[prefix + n]) { return prefix + n; } }
  }

  // --- changes and undo ---
  function change(fn) {
    history.push(JSON.stringify(schema));
    if (history.length > 50) { history.shift(); }
    fn();
    undoButton.disabled = false;
    render();
  }
  undoButton.addEventListener("click", function () {
    if (!history.length) { return; }
    schema = JSON.parse(history.pop());
    undoButton.disabled = !history.length;
    if (selected && selected !== "settings" && !(schema.sections[selected.s] && schema.sections[selected.s].fields[selected.f])) {
      selected = null;
    }
    render();
  });

  function newField(type) {
    var field = {key: newKey("f"), type: type, label: typeLabels[type] || type};
    if (CHOICES.indexOf(type) !== -1) {
      field.options = [{value: "a", label: "A"}, {value: "b", label: "B"}];
    }
    return field;
  }

  function addField(type, s, index) {
    change(function () {
      var fields = schema.sections[s].fields;
      if (index === undefined || index > fields.length) { index = fields.length; }
      fields.splice(index, 0, newField(type));
      selected = {s: s, f: index};
    });
  }

  function moveField(from, to) {
    // from {s, f}; to {s, index} (index in the target list before removal)
    change(function () {
      var field = schema.sections[from.s].fields.splice(from.f, 1)[0];
      var index = to.index;
      if (from.s === to.s && from.f < index) { index -= 1; }
      schema.sections[to.s].fields.splice(index, 0, field);
      selected = {s: to.s, f: index};
    });
  }

  // --- palette ---
  data.types.forEach(function (t) {
    var button = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary fe-palette-item",
      "data-type": t.type, "data-testid": "palette-" + t.type, text: t.label,
      onclick: function () {
        var s = selected && selected !== "settings" ? selected.s : schema.sections.length - 1;
        addField(t.type, s);
      }});
    palette.appendChild(button);
  });
  // Dragging from the palette clones the item into a page; the drop only says where: the schema decides and the
  // canvas is drawn again from it (so undo sees one change).
  Sortable.create(palette, {group: {name: "fe-fields", pull: "clone", put: false}, sort: false,
    draggable: ".fe-palette-item", forceFallback: true, fallbackOnBody: true});

  // --- canvas ---
  var sortables = [];
  function sectionSortable(list, s) {
    return Sortable.create(list, {group: {name: "fe-fields", pull: true, put: true}, draggable: ".fe-card", direction: "vertical",
      filter: "button, input", preventOnFilter: false, animation: 120, forceFallback: true, fallbackOnBody: true,
      ghostClass: "fe-ghost", chosenClass: "fe-chosen", dragClass: "fe-dragging",
      onAdd: function (event) {
        var type = event.item.getAttribute("data-type");
        if (!type) { return; } // a field from another page: its own list's onEnd moves it
        // Counted here: the event's indexes follow the palette's options, not this page's cards.
        var index = 0;
        for (var node = event.item.previousElementSibling; node; node = node.previousElementSibling) {
          if (node.classList.contains("fe-card")) { index++; }
        }
        event.item.parentNode.removeChild(event.item);
        setTimeout(function () { addField(type, s, index); }, 0);
      },
      onEnd: function (event) {
        if (event.pullMode === "clone") { return; }
        var from = +event.from.getAttribute("data-section"), to = +event.to.getAttribute("data-section");
        var oldIndex = event.oldDraggableIndex, newIndex = event.newDraggableIndex;
        if (from === to && oldIndex === newIndex) { return; }
        // moveField counts the target index before the field leaves its list.
        var index = from === to && newIndex > oldIndex ? newIndex + 1 : newIndex;
        setTimeout(function () { moveField({s: from, f: oldIndex}, {s: to, index: index}); }, 0);
      }});
  }

  function renderCanvas() {
    sortables.forEach(function (sortable) { sortable.destroy(); });
    sortables = [];
    canvas.innerHTML = "";
    schema.sections.forEach(function (section, s) {
      var list = el("div", {"class": "fe-section", "data-section": s, "data-testid": "canvas-section-" + s});
      var head = el("div", {"class": "d-flex align-items-center gap-1 mb-1"}, [
        el("span", {"class": "small text-muted", text: T.page + " " + (s + 1)}),
        el("input", {"class": "form-control form-control-sm", value: section.title || "", placeholder: T.page_title,
          "aria-label": T.page_title, onchange: function (event) { change(function () { section.title = event.target.value; }); }}),
        schema.sections.length > 1 && !section.fields.length ? el("button", {type: "button", "class": "btn btn-sm btn-link text-danger p-0",
          text: T.remove, onclick: function () { change(function () { schema.sections.splice(s, 1); selected = null; }); }}) : null,
      ]);
      list.appendChild(head);
      if (!section.fields.length) { list.appendChild(el("div", {"class": "text-muted small text-center py-2", text: T.empty_section})); }
      section.fields.forEach(function (field, f) {
        var isSelected = selected && selected !== "settings" && selected.s === s && selected.f === f;
        // Each marker says what it means on hover (title) and to a screen reader (hidden text in the card's name).
        var flags = [[field.required, "*", T.flag_required], [field.visible_if, "👁", T.flag_visible_if],
          [field.required_if, "!", T.flag_required_if]].filter(function (flag) { return flag[0]; }).map(function (flag) {
          return el("span", {"class": "fe-flag ms-1", title: flag[2], "data-testid": "flag-" + field.key}, [
            el("span", {"aria-hidden": "true", text: flag[1]}), el("span", {"class": "visually-hidden", text: flag[2]})]);
        });
        var card = el("div", {"class": "fe-card" + (isSelected ? " fe-selected" : ""), tabindex: "0",
          "data-testid": "canvas-field-" + field.key, "data-key": field.key, role: "button", "aria-pressed": isSelected ? "true" : "false",
          onclick: function () { selected = {s: s, f: f}; render(false); },
          onkeydown: function (event) {
            if (event.key === "Enter" || event.key === " ") { event.preventDefault(); selected = {s: s, f: f}; render(false); }
            if (event.altKey && event.key === "ArrowUp" && f > 0) { event.preventDefault(); moveField({s: s, f: f}, {s: s, index: f - 1}); }
            if (event.altKey && event.key === "ArrowDown" && f < section.fields.length - 1) { event.preventDefault(); moveField({s: s, f: f}, {s: s, index: f + 2}); }
          }},
        [
          el("div", {"class": "d-flex justify-content-between align-items-start gap-1"}, [
            el("div", {}, [el("div", {"class": "fw-semibold small"}, [document.createTextNode(field.label)].concat(flags)),
              el("div", {"class": "text-muted small"}, [el("code", {text: field.key}), document.createTextNode(" · " + (typeLabels[field.type] || field.type))])]),
            el("div", {"class": "btn-group btn-group-sm"}, [
              el("button", {type: "button", "class": "btn btn-outline-secondary py-0", "aria-label": T.up, title: T.up, text: "↑", disabled: f === 0,
                onclick: function (event) { event.stopPropagation(); moveField({s: s, f: f}, {s: s, index: f - 1}); }}),
              el("button", {type: "button", "class": "btn btn-outline-secondary py-0", "aria-label": T.down, title: T.down, text: "↓", disabled: f === section.fields.length - 1,
                onclick: function (event) { event.stopPropagation(); moveField({s: s, f: f}, {s: s, index: f + 2}); }}),
              el("button", {type: "button", "class": "btn btn-outline-danger py-0", "aria-label": T.remove, title: T.remove, text: "×",
                "data-testid": "remove-" + field.key,
                onclick: function (event) { event.stopPropagation(); change(function () { section.fields.splice(f, 1); selected = null; }); }}),
            ]),
          ]),
        ]);
        list.appendChild(card);
      });
      sortables.push(sectionSortable(list, s));
      canvas.appendChild(list);
    });
  }
  document.getElementById("fe-add-section").addEventListener("click", function () {
    change(function () { schema.sections.push({key: newKey("s"), title: "", fields: []}); });
  });
  document.getElementById("fe-settings-open").addEventListener("click", function () { selected = "settings"; render(false); });

  // --- property panel ---
  function input(labelText, value, onchange, attrs) {
    var id = "fe-p-" + Math.random().toString(36).slice(2);
    var control = attrs && attrs.textarea
      ? el("textarea", {"class": "form-control form-control-sm", id: id, rows: attrs.rows || 3, "data-testid": attrs && attrs.testid})
      : el("input", Object.assign({"class": "form-control form-control-sm", id: id, type: "text"}, attrs ? {type: attrs.type || "text", "data-testid": attrs.testid} : {}));
    control.value = value === undefined || value === null ? "" : value;
    control.addEventListener("change", function () { onchange(control.value); });
    return el("div", {"class": "mb-2"}, [el("label", {"class": "form-label small mb-0", "for": id, text: labelText}), control]);
  }
  function setOrDelete(field, name, value) {
    if (value === "" || value === null || value === undefined || (Array.isArray(value) && !value.length)) { delete field[name]; } else { field[name] = value; }
  }
  function numberOrEmpty(value) { var n = parseFloat(value); return isNaN(n) ? "" : n; }
  function intOrEmpty(value) { var n = parseInt(value, 10); return isNaN(n) ? "" : n; }

  function fieldsBefore(s, f) {
    var out = [];
    for (var i = 0; i < schema.sections.length; i++) {
      for (var j = 0; j < schema.sections[i].fields.length; j++) {
        if (i === s && j === f) { return out; }
        if (schema.sections[i].fields[j].type !== "info") { out.push(schema.sections[i].fields[j]); }
      }
    }
    return out;
  }

  function logicEditor(field, name, candidates) {
    var group = field[name];
    var box = el("div", {"class": "fe-logic mb-2", "data-testid": "logic-" + name});
    box.appendChild(el("div", {"class": "small fw-semibold", text: T[name]}));
    if (group) {
      var mode = el("select", {"class": "form-select form-select-sm mb-1", "aria-label": T[name], "data-testid": name + "-mode",
        onchange: function (event) { change(function () { group.mode = event.target.value; }); }},
      [el("option", {value: "all", text: T.all, selected: group.mode !== "any"}), el("option", {value: "any", text: T.any, selected: group.mode === "any"})]);
      box.appendChild(mode);
      group.conditions.forEach(function (condition, c) {
        var fieldSelect = el("select", {"class": "form-select form-select-sm", "data-testid": name + "-field-" + c, "aria-label": T.field,
          onchange: function (event) { change(function () { condition.field = event.target.value; }); }},
        candidates.map(function (other) { return el("option", {value: other.key, text: other.label, selected: other.key === condition.field}); }));
        var opSelect = el("select", {"class": "form-select form-select-sm", "data-testid": name + "-op-" + c, "aria-label": "op",
          onchange: function (event) {
            change(function () {
              condition.op = event.target.value;
              if (/empty/.test(condition.op)) { delete condition.value; return; }
              // Only "is one of" takes a list (the meta-schema says so).
              if (condition.op === "in" && !Array.isArray(condition.value)) { condition.value = condition.value === undefined || condition.value === "" ? [] : [condition.value]; }
              if (condition.op !== "in" && Array.isArray(condition.value)) { condition.value = condition.value.length ? condition.value[0] : ""; }
              if (condition.op !== "in" && condition.value === undefined) { condition.value = ""; }
            });
          }},
        data.operators.map(function (op) { return el("option", {value: op.op, text: op.label, selected: op.op === condition.op}); }));
        var source = candidates.filter(function (o) { return o.key === condition.field; })[0];
        var valueControl;
        if (/empty/.test(condition.op)) {
          valueControl = null;
        } else if (source && source.options && condition.op !== "contains" || source && source.options && condition.op === "contains" && source.type === "multi_choice") {
          valueControl = el("select", {"class": "form-select form-select-sm", "data-testid": name + "-value-" + c, "aria-label": T.value,
            multiple: condition.op === "in" ? true : null,
            onchange: function (event) {
              var chosen = Array.prototype.filter.call(event.target.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
              change(function () { condition.value = condition.op === "in" ? chosen : chosen[0]; });
            }},
          [el("option", {value: "", text: "—"})].concat(source.options.map(function (o) {
            var current = Array.isArray(condition.value) ? condition.value.indexOf(o.value) !== -1 : condition.value === o.value;
            return el("option", {value: o.value, text: o.label, selected: current});
          })));
        } else {
          valueControl = el("input", {"class": "form-control form-control-sm", "data-testid": name + "-value-" + c, "aria-label": T.value,
            value: Array.isArray(condition.value) ? condition.value.join(",") : (condition.value === undefined ? "" : condition.value),
            onchange: function (event) {
              var raw = event.target.value;
              change(function () { condition.value = condition.op === "in" ? raw.split(",").map(function (x) { return x.trim(); }).filter(Boolean) : raw; });
            }});
        }
        box.appendChild(el("div", {"class": "d-flex gap-1 mb-1 flex-wrap"}, [fieldSelect, opSelect, valueControl,
          el("button", {type: "button", "class": "btn btn-sm btn-link text-danger p-0", text: T.remove, onclick: function () {
            change(function () { group.conditions.splice(c, 1); if (!group.conditions.length) { delete field[name]; } });
          }})]));
      });
    }
    if (candidates.length) {
      box.appendChild(el("button", {type: "button", "class": "btn btn-sm btn-outline-info", text: T.add_condition, "data-testid": name + "-add",
        onclick: function () {
          change(function () {
            if (!field[name]) { field[name] = {mode: "all", conditions: []}; }
            var first = candidates[candidates.length - 1];
            field[name].conditions.push({field: first.key, op: "equals", value: first.options ? first.options[0].value : ""});
          });
        }}));
    }
    return box;
  }

  function renderFieldProps(s, f) {
    var field = schema.sections[s].fields[f];
    var type = field.type;
    var set = function (name, convert) { return function (value) { change(function () { setOrDelete(field, name, convert ? convert(value) : value); }); }; };
    props.appendChild(el("div", {"class": "small text-muted mb-2", text: typeLabels[type]}));
    props.appendChild(input(T.label, field.label, function (value) { change(function () { field.label = value; }); }, {testid: "prop-label"}));
    props.appendChild(input(T.key, field.key, function (value) { change(function () { field.key = value.trim(); }); }, {testid: "prop-key"}));
    props.appendChild(input(T.help, field.help, set("help"), {textarea: true, rows: 2, testid: "prop-help"}));
    if (type !== "info") {
      if (["text", "textarea", "number", "money", "mobile", "email", "code"].indexOf(type) !== -1) {
        props.appendChild(input(T.placeholder, field.placeholder, set("placeholder")));
      }
      var requiredId = "fe-required";
      props.appendChild(el("div", {"class": "form-check mb-2"}, [
        el("input", {"class": "form-check-input", type: "checkbox", id: requiredId, checked: !!field.required, "data-testid": "prop-required",
          onchange: function (event) { change(function () { setOrDelete(field, "required", event.target.checked || ""); }); }}),
        el("label", {"class": "form-check-label small", "for": requiredId, text: T.required})]));
      if (CHOICES.indexOf(type) !== -1) {
        var lines = (field.options || []).map(function (o) { return o.value === o.label ? o.value : o.value + "|" + o.label; }).join("\n");
        props.appendChild(input(T.options, lines, function (value) {
          change(function () {
            field.options = value.split("\n").map(function (line) { return line.trim(); }).filter(Boolean).map(function (line) {
              var bar = line.indexOf("|");
              return bar === -1 ? {value: line, label: line} : {value: line.slice(0, bar).trim(), label: line.slice(bar + 1).trim()};
            });
          });
        }, {textarea: true, rows: 4, testid: "prop-options"}));
      }
      if (type !== "file" && type !== "region") {
        props.appendChild(input(T["default"], Array.isArray(field["default"]) ? field["default"].join(",") : field["default"], function (value) {
          change(function () { setOrDelete(field, "default", type === "multi_choice" ? value.split(",").map(function (x) { return x.trim(); }).filter(Boolean) : value); });
        }));
      }
      if (NUMERIC.indexOf(type) !== -1) {
        props.appendChild(input(T.min, field.min, set("min", numberOrEmpty), {type: "number"}));
        props.appendChild(input(T.max, field.max, set("max", numberOrEmpty), {type: "number"}));
      }
      if (TEXTUAL.indexOf(type) !== -1) {
        props.appendChild(input(T.min_length, field.min_length, set("min_length", intOrEmpty), {type: "number"}));
        props.appendChild(input(T.max_length, field.max_length, set("max_length", intOrEmpty), {type: "number"}));
        props.appendChild(input(T.regex, field.regex, set("regex"), {testid: "prop-regex"}));
      }
      if (type === "file") {
        props.appendChild(input(T.file_types, (field.file_types || []).join(" "), set("file_types", function (value) {
          return value.split(/[\s,]+/).map(function (x) { x = x.trim().toLowerCase(); return x && x[0] !== "." ? "." + x : x; }).filter(Boolean);
        })));
        props.appendChild(input(T.max_size_mb, field.max_size_mb, set("max_size_mb", numberOrEmpty), {type: "number"}));
      }
      if (type === "region") {
        props.appendChild(input(T.depth, field.depth, set("depth", intOrEmpty), {type: "number", testid: "prop-depth"}));
      }
      if (type === "text" || type === "mobile") {
        props.appendChild(el("div", {"class": "mb-2"}, [el("label", {"class": "form-label small mb-0", text: T.bind}),
          el("select", {"class": "form-select form-select-sm", onchange: function (event) { change(function () { setOrDelete(field, "bind", event.target.value); }); }},
            [el("option", {value: "", text: T.none})].concat(data.bindings.map(function (b) { return el("option", {value: b, text: b, selected: field.bind === b}); })))]));
      }
    }
    var candidates = fieldsBefore(s, f);
    props.appendChild(logicEditor(field, "visible_if", candidates));
    if (type !== "info") { props.appendChild(logicEditor(field, "required_if", candidates)); }
  }

  function renderSettings() {
    props.appendChild(el("div", {"class": "small fw-semibold mb-2", text: T.settings}));
    props.appendChild(input(T.submit_label, schema.submit_label, function (v) { change(function () { setOrDelete(schema, "submit_label", v); }); }));
    props.appendChild(input(T.thank_you, schema.thank_you, function (v) { change(function () { setOrDelete(schema, "thank_you", v); }); }, {textarea: true, rows: 2}));
    var intake = schema.intake || {};
    function setIntake(name, convert) {
      return function (value) {
        change(function () {
          var next = Object.assign({}, schema.intake || {});
          setOrDelete(next, name, convert ? convert(value) : value);
          if (Object.keys(next).length) { schema.intake = next; } else { delete schema.intake; }
        });
      };
    }
    props.appendChild(el("div", {"class": "small fw-semibold mt-3 mb-1", text: T.intake}));
    props.appendChild(el("div", {"class": "mb-2"}, [el("label", {"class": "form-label small mb-0", text: T.subject_field}),
      el("select", {"class": "form-select form-select-sm", onchange: function (event) { setIntake("subject_field")(event.target.value); }},
        [el("option", {value: "", text: T.none})].concat(allFields().filter(function (f) { return f.type !== "info"; }).map(function (f) {
          return el("option", {value: f.key, text: f.label, selected: intake.subject_field === f.key});
        })))]));
    props.appendChild(input(T.ticket_type, intake.ticket_type, setIntake("ticket_type")));
    props.appendChild(input(T.queue, intake.queue, setIntake("queue")));
    props.appendChild(input(T.priority, intake.priority, setIntake("priority", intOrEmpty), {type: "number"}));
    props.appendChild(input(T.tags, (intake.tags || []).join(","), setIntake("tags", function (v) { return v.split(",").map(function (x) { return x.trim(); }).filter(Boolean); })));
    props.appendChild(input(T.rules, intake.rules ? JSON.stringify(intake.rules, null, 1) : "", function (value) {
      var rules;
      try { rules = value.trim() ? JSON.parse(value) : []; } catch (e) { showProblems([{path: "intake/rules", message: T.bad_json}]); return; }
      setIntake("rules")(rules);
    }, {textarea: true, rows: 4}));
  }

  function renderProps() {
    props.innerHTML = "";
    if (selected === "settings") { renderSettings(); return; }
    if (!selected || !schema.sections[selected.s] || !schema.sections[selected.s].fields[selected.f]) {
      props.appendChild(el("p", {"class": "text-muted small mb-0", text: T.select_field}));
      return;
    }
    renderFieldProps(selected.s, selected.f);
  }

  // --- preview ---
  var previewTimer = null;
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}});
  }
  function refreshPreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      post(data.urls.preview, {schema: schema}).then(function (r) { return r.text(); }).then(function (html) {
        preview.innerHTML = html;
        var rules = preview.querySelector("#preview-form-logic"), form = preview.querySelector("form");
        if (rules && form && window.scrmFormLogic) {
          form.setAttribute("data-logic-attached", "1");
          window.scrmFormLogic(form, JSON.parse(rules.textContent));
        }
      });
    }, 250);
  }

  function render(withPreview) {
    renderCanvas();
    renderProps();
    if (withPreview !== false) { refreshPreview(); }
  }

  // --- save and publish ---
  function showProblems(problems) {
    status.innerHTML = "";
    var box = el("div", {"class": "alert alert-danger py-2 mb-0", "data-testid": "editor-problems"}, [el("div", {text: T.problems})]);
    problems.forEach(function (p) {
      var match = /^sections\/(\d+)\/fields\/(\d+)/.exec(p.path);
      var line = el("div", {}, [el("code", {text: p.path}), document.createTextNode(" " + p.message)]);
      if (match) {
        line.style.cursor = "pointer";
        line.addEventListener("click", function () { selected = {s: +match[1], f: +match[2]}; render(false); });
      }
      box.appendChild(line);
    });
    status.appendChild(box);
  }
  function showMessage(text) {
    status.innerHTML = "";
    status.appendChild(el("div", {"class": "alert alert-success py-2 mb-0", text: text}));
  }
  document.getElementById("fe-save").addEventListener("click", function () {
    post(data.urls.draft, {schema: schema}).then(function (r) { return r.json(); }).then(function (body) {
      if (body.ok) { showMessage(body.message); } else { showProblems(body.problems); }
    });
  });
  function publish(keyMap) {
    post(data.urls.publish, {schema: schema, key_map: keyMap}).then(function (r) { return r.json(); }).then(function (body) {
      if (body.ok) { window.location.href = body.redirect; } else { showProblems(body.problems); }
    });
  }

  // --- the mapping of changed keys, asked for at publish (the server checks it again: forms_builder.keymap) ---
  function keyChanges(renames) {
    var before = {}, after = {}, oldOf = {};
    data.published.forEach(function (f) { before[f.key] = f; });
    allFields().forEach(function (f) { if (f.type !== "info") { after[f.key] = f; } });
    Object.keys(renames).forEach(function (old) { if (renames[old]) { oldOf[renames[old]] = old; } });
    var retyped = Object.keys(after).map(function (key) {
      var old = oldOf[key] || key, was = before[old];
      if (!was || was.type === after[key].type) { return null; }
      return {key: key, old: old, from: was.type, to: after[key].type,
        convertible: (data.conversions[was.type] || []).indexOf(after[key].type) !== -1};
    }).filter(Boolean);
    return {removed: Object.keys(before).filter(function (k) { return !after[k]; }),
      added: Object.keys(after).filter(function (k) { return !before[k]; }), retyped: retyped, before: before, after: after};
  }
  function describe(field) { return field.label + " (" + field.key + " · " + (typeLabels[field.type] || field.type) + ")"; }
  function showMapping() {
    var renames = {}, convert = {};
    function draw() {
      var changes = keyChanges(renames);
      status.innerHTML = "";
      var box = el("div", {"class": "alert alert-warning py-2 mb-0", "data-testid": "key-map"}, [el("div", {"class": "fw-semibold mb-1", text: T.map_title})]);
      if (changes.removed.length) {
        box.appendChild(el("div", {"class": "small fw-semibold", text: T.map_removed}));
        changes.removed.forEach(function (old) {
          var taken = Object.keys(renames).filter(function (o) { return o !== old; }).map(function (o) { return renames[o]; });
          box.appendChild(el("div", {"class": "d-flex gap-2 align-items-center mb-1 small"}, [
            el("span", {text: describe(changes.before[old]) + " → " + T.map_renamed_to}),
            el("select", {"class": "form-select form-select-sm w-auto", "data-testid": "key-map-rename-" + old, "aria-label": old,
              onchange: function (event) { if (event.target.value) { renames[old] = event.target.value; } else { delete renames[old]; } draw(); }},
            [el("option", {value: "", text: T.map_no_rename})].concat(changes.added.filter(function (k) { return taken.indexOf(k) === -1; }).map(function (k) {
              return el("option", {value: k, text: describe(changes.after[k]), selected: renames[old] === k});
            })))]));
        });
      }
      if (changes.retyped.length) {
        box.appendChild(el("div", {"class": "small fw-semibold mt-1", text: T.map_retyped}));
        changes.retyped.forEach(function (change) {
          if (!change.convertible) { delete convert[change.key]; }
          var line = el("div", {"class": "d-flex gap-2 align-items-center mb-1 small"}, [
            el("span", {text: describe(changes.after[change.key]) + ": " + (typeLabels[change.from] || change.from) + " → " + (typeLabels[change.to] || change.to)})]);
          line.appendChild(change.convertible
            ? el("select", {"class": "form-select form-select-sm w-auto", "data-testid": "key-map-convert-" + change.key, "aria-label": change.key,
              onchange: function (event) { if (event.target.value === "convert") { convert[change.key] = true; } else { delete convert[change.key]; } }},
            [el("option", {value: "keep", text: T.map_keep, selected: !convert[change.key]}),
              el("option", {value: "convert", text: T.map_convert, selected: !!convert[change.key]})])
            : el("span", {"class": "text-muted", text: T.map_unsafe}));
          box.appendChild(line);
        });
      }
      box.appendChild(el("div", {"class": "d-flex gap-2 mt-2"}, [
        el("button", {type: "button", "class": "btn btn-sm btn-primary", "data-testid": "key-map-publish", text: T.map_publish,
          onclick: function () {
            var current = keyChanges(renames).retyped.map(function (c) { return c.key; });
            publish({renames: renames, convert: Object.keys(convert).filter(function (k) { return current.indexOf(k) !== -1; })});
          }}),
        el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary", text: T.cancel, onclick: function () { status.innerHTML = ""; }})]));
      status.appendChild(box);
    }
    draw();
  }
  document.getElementById("fe-publish").addEventListener("click", function () {
    var changes = keyChanges({});
    if (data.published.length && changes.removed.length && changes.added.length || changes.retyped.length) {
      showMapping();
      return;
    }
    if (!window.confirm(T.publish_confirm)) { return; }
    publish({});
  });

  render();
}());
