/* The Wagtail admin under a strict Content-Security-Policy (decision record 0041).
 *
 * 1. Wagtail's widgets and panels set themselves up with inline scripts; ctip writes those calls
 *    as JSON blocks instead (<script type="application/json" data-ctip-init>, see
 *    ctip/portal/cms_scripts.py). This file makes the calls: for the blocks of the page once it
 *    is parsed, and for blocks inserted later (a dialog, a new inline form). Only the functions
 *    named in INITIALISERS are called, each block once.
 * 2. The rich-text editor (Draftail, React) writes <style> elements for its placeholders and
 *    list numbering. Elements created by the admin's own scripts get the page's nonce, which
 *    this file's <script> tag carries; <style> in markup (from the server or innerHTML) does not,
 *    and stays refused.
 * 3. Unit choosers (select[data-ctip-unit-search], ctip/portal/unit_chooser.py) get a search box
 *    that keeps the units whose name holds what she typed, with or without accents.
 * 4. The date pickers (jQuery's datetimepicker, opened under their field) close once the date is
 *    complete -- typed in full, or chosen -- and when the focus leaves for another control:
 *    left open they cover the buttons below, such as the schedule dialog's.
 * 5. Every text control gets a name (decision record 0049), in the page and in its dialogs. Controls that scripts draw beside
 *    the field's real, hidden input -- the tag input (tag-it), the rich-text editor (Draftail) --
 *    and a block's only field in a StreamField have no <label> of their own: they are named by
 *    the label of their field, else by the button drawn over a file input (the upload
 *    screens), else by the heading of their block (aria-labelledby), as a sighted person reads
 *    them.
 * 6. The image's focal-point chooser (Jcrop) tests for touch events by writing an
 *    ontouchstart="return;" attribute when the browser has none, an inline handler the policy
 *    refuses. It is told the answer instead, the same test without the attribute.
 * 7. Wagtail's dialogs (the choosers: .modal, appended to <body>) are modal for the eye but not
 *    for assistive technology: while one is open, what lies before it in <body> -- the page, its
 *    menu -- is made inert (and the dialog aria-modal), and given back when it closes
 *    (decision record 0057). Beneath a chooser the rich-text editor is read-only and faded,
 *    which is not a text to read.
 * 8. The rich-text editor's "/" command palette is a Draftail tooltip whose search label is
 *    empty: it is named by the editor's "insert a block" button, which opens the same list.
 */
(function () {
  "use strict";

  // Kept in step with INITIALISERS in ctip/portal/cms_scripts.py (tested): name -> use `new`.
  var INITIALISERS = {
    Chooser: true,
    DocumentChooser: true,
    ImageChooser: true,
    PageChooser: true,
    SnippetChooser: true,
    InlinePanel: true,
    MultipleChooserPanel: true,
    initDateChooser: false,
    initTimeChooser: false,
    initDateTimeChooser: false,
    createTaskChooser: false
  };

  var nonce = document.currentScript && document.currentScript.nonce;
  if (nonce) {
    var createElement = Document.prototype.createElement;
    Document.prototype.createElement = function (tagName) {
      var element = createElement.apply(this, arguments);
      if (typeof tagName === "string" && tagName.toLowerCase() === "style") {
        element.nonce = nonce;
      }
      return element;
    };
  }

  var done = new WeakSet();

  function run(block) {
    if (done.has(block)) {
      return;
    }
    done.add(block);
    var spec;
    try {
      spec = JSON.parse(block.textContent);
    } catch (e) {
      return;
    }
    if (!spec || !Object.prototype.hasOwnProperty.call(INITIALISERS, spec.call)) {
      return;
    }
    var fn = window[spec.call];
    if (typeof fn !== "function") {
      throw new Error("cms-init: " + spec.call + " is not loaded");
    }
    var args = Array.isArray(spec.args) ? spec.args : [];
    if (INITIALISERS[spec.call]) {
      /* eslint-disable-next-line new-cap */
      new (Function.prototype.bind.apply(fn, [null].concat(args)))();
    } else {
      fn.apply(window, args);
    }
    if (DATE_PICKERS[spec.call] && typeof args[0] === "string") {
      closingPicker(document.getElementById(args[0]), (args[1] || {}).format ||
                    DATE_PICKERS[spec.call]);
    }
  }

  // The date pickers and their default formats (Wagtail's date-time-chooser.js).
  var DATE_PICKERS = {
    initDateChooser: "Y-m-d",
    initTimeChooser: "H:i",
    initDateTimeChooser: "Y-m-d H:i"
  };

  function complete(format) {
    var parts = { Y: "\\d{4}", m: "\\d{2}", d: "\\d{2}", H: "\\d{2}", i: "\\d{2}" };
    var source = format.split("").map(function (c) {
      return parts[c] || c.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
    }).join("");
    return new RegExp("^" + source + "$");
  }

  function closingPicker(input, format) {
    var $ = window.jQuery;
    if (!input || !$ || !$.fn.datetimepicker) {
      return;
    }
    var full = complete(format);
    function hide() {
      $(input).datetimepicker("hide");
    }
    input.addEventListener("input", function () {
      if (full.test(input.value.trim())) {
        hide();
      }
    });
    input.addEventListener("change", function () {
      if (full.test(input.value.trim())) {
        hide();
      }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "Tab" || event.key === "Escape") {
        hide();
      }
    });
    input.addEventListener("focusout", function (event) {
      // to another control (a click on the picker itself moves the focus nowhere)
      if (event.relatedTarget && !event.relatedTarget.closest(".xdsoft_datetimepicker")) {
        hide();
      }
    });
  }

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase().replace(/^[\s—-]+/, "");
  }

  function searchable(select) {
    if (done.has(select)) {
      return;
    }
    done.add(select);
    var box = document.createElement("input");
    box.type = "search";
    box.className = "ctip-unit-search";
    box.setAttribute("aria-label", select.getAttribute("data-ctip-unit-search"));
    box.placeholder = select.getAttribute("data-ctip-unit-search");
    box.setAttribute("aria-controls", select.id);
    box.addEventListener("input", function () {
      var want = fold(box.value.trim());
      Array.prototype.forEach.call(select.options, function (option) {
        var keep = !want || !option.value || fold(option.text).indexOf(want) !== -1;
        option.hidden = !keep;
      });
      var shown = select.querySelectorAll("option:not([hidden])").length;
      select.size = want ? Math.min(8, Math.max(2, shown)) : 0;
    });
    select.parentNode.insertBefore(box, select);
  }

  var NAMELESS = "input:not([type=hidden]), textarea, [contenteditable=true]";
  var labelIds = 0;

  function hasName(control) {
    return (control.labels && control.labels.length) || control.getAttribute("aria-label") ||
      control.getAttribute("aria-labelledby") || control.getAttribute("title");
  }

  function nameControl(control) {
    if (hasName(control) || !control.closest("#main, .modal")) {
      return;
    }
    var field = control.closest(".w-field");
    var label = field && field.querySelector(".w-field__label");
    if (!label) {
      var wrapper = control.closest(".w-field__wrapper");
      label = wrapper && wrapper.querySelector(":scope > .w-field__label");
    }
    if (!label) {
      // the upload screens' file input, drawn as the button beside it
      var upload = control.closest(".replace-file-input");
      label = upload && upload.querySelector("button");
    }
    if (!label) {
      var block = control.closest(".w-panel");
      label = block && block.querySelector(".w-panel__heading");
    }
    if (!label) {
      return;
    }
    if (!label.id) {
      labelIds += 1;
      label.id = "ctip-name-" + labelIds;
    }
    control.setAttribute("aria-labelledby", label.id);
  }

  function syncInert() {
    var open = document.querySelector("body > .modal.in");
    var before = true;
    Array.prototype.forEach.call(document.body.children, function (child) {
      if (child === open) {
        before = false;
        child.setAttribute("aria-modal", "true");
      } else if (open && before && !child.matches("script, noscript, template")) {
        if (!child.inert) {
          child.inert = true;
          child.setAttribute("data-ctip-inert", "");
        }
      } else if (child.hasAttribute("data-ctip-inert")) {
        child.inert = false;
        child.removeAttribute("data-ctip-inert");
      }
    });
  }

  function namePalette(box) {
    if (box.getAttribute("aria-label") || box.getAttribute("aria-labelledby")) {
      return;
    }
    var label = box.querySelector(".w-combobox label");
    var editor = box.closest(".Draftail-Editor");
    var trigger = editor && editor.querySelector(".Draftail-BlockToolbar__trigger");
    if (label && !label.textContent.trim() && trigger && trigger.getAttribute("aria-label")) {
      box.setAttribute("aria-label", trigger.getAttribute("aria-label"));
    }
  }

  function runWithin(node) {
    if (node.nodeType !== 1) {
      return;
    }
    if (node.matches("script[data-ctip-init]")) {
      run(node);
    }
    node.querySelectorAll("script[data-ctip-init]").forEach(run);
    if (node.matches("select[data-ctip-unit-search]")) {
      searchable(node);
    }
    node.querySelectorAll("select[data-ctip-unit-search]").forEach(searchable);
    if (node.matches(NAMELESS)) {
      nameControl(node);
    }
    node.querySelectorAll(NAMELESS).forEach(nameControl);
    var palette = node.closest(".Draftail-Tooltip[role=tooltip]");
    if (palette) {
      namePalette(palette);
    }
    node.querySelectorAll(".Draftail-Tooltip[role=tooltip]").forEach(namePalette);
  }

  function start() {
    if (window.jQuery && window.jQuery.Jcrop && window.jQuery.Jcrop.defaults) {
      window.jQuery.Jcrop.defaults.touchSupport = "ontouchstart" in document.createElement("div");
    }
    runWithin(document.documentElement);
    new MutationObserver(function (records) {
      var dialogs = false;
      records.forEach(function (record) {
        record.addedNodes.forEach(runWithin);
        dialogs = dialogs || record.target === document.body ||
          record.target.classList.contains("modal");
      });
      if (dialogs) {
        syncInert();
      }
    }).observe(document.documentElement, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["class"]
    });
  }

  if (document.readyState === "loading") {
    // After the widgets' own scripts (loaded further down the page), as Wagtail's inline
    // scripts ran after theirs.
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
