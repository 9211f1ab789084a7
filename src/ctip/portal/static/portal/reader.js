/* ctip bulletin: reader controls "Màu chữ" (colour theme) and "Cỡ chữ" (text size, up to 200%).
   The choice is kept in localStorage and applied before the page is painted. Without
   JavaScript the controls stay hidden and the page is a plain page (the browser's own zoom
   still works). No dependencies, nothing loaded from elsewhere. */
(function () {
  "use strict";
  var THEMES = ["default", "contrast", "sepia", "dark"];
  var SIZES = [100, 125, 150, 175, 200];
  var THEME_KEY = "ctip.reader.theme";
  var SIZE_KEY = "ctip.reader.size";
  var root = document.documentElement;

  function read(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function write(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: no memory */ }
  }
  function theme() {
    var value = root.getAttribute("data-theme");
    return THEMES.indexOf(value) >= 0 ? value : "default";
  }
  function size() {
    var value = parseInt(root.getAttribute("data-size"), 10);
    return SIZES.indexOf(value) >= 0 ? value : 100;
  }
  function applyTheme(value) {
    if (THEMES.indexOf(value) < 0) { value = "default"; }
    root.setAttribute("data-theme", value);
  }
  function applySize(value) {
    value = parseInt(value, 10);
    if (SIZES.indexOf(value) < 0) { value = 100; }
    root.setAttribute("data-size", String(value));
  }

  applyTheme(read(THEME_KEY));
  applySize(read(SIZE_KEY));

  function refresh(panel) {
    var current = theme();
    var buttons = panel.querySelectorAll("[data-theme-choice]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed",
        buttons[i].getAttribute("data-theme-choice") === current ? "true" : "false");
    }
    var value = size();
    var output = panel.querySelector("[data-size-value]");
    if (output) { output.textContent = value + "%"; }
    var steps = panel.querySelectorAll("[data-size-step]");
    for (var j = 0; j < steps.length; j++) {
      var step = parseInt(steps[j].getAttribute("data-size-step"), 10);
      var atEnd = (step < 0 && value === SIZES[0]) || (step > 0 && value === SIZES[SIZES.length - 1]);
      /* aria-disabled, not disabled: the button keeps the keyboard focus at the limit. */
      steps[j].setAttribute("aria-disabled", atEnd ? "true" : "false");
    }
  }

  function bind(panel) {
    panel.hidden = false;
    panel.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button") : null;
      if (!button || !panel.contains(button)) { return; }
      if (button.hasAttribute("data-theme-choice")) {
        applyTheme(button.getAttribute("data-theme-choice"));
        write(THEME_KEY, theme());
      } else if (button.hasAttribute("data-size-step")) {
        if (button.getAttribute("aria-disabled") === "true") { return; }
        var index = SIZES.indexOf(size()) + parseInt(button.getAttribute("data-size-step"), 10);
        applySize(SIZES[Math.max(0, Math.min(SIZES.length - 1, index))]);
        write(SIZE_KEY, String(size()));
      }
      refresh(panel);
    });
    refresh(panel);
  }

  function start() {
    var panels = document.querySelectorAll("[data-reader]");
    for (var i = 0; i < panels.length; i++) { bind(panels[i]); }
    var printers = document.querySelectorAll("[data-print]");
    for (var j = 0; j < printers.length; j++) {
      printers[j].hidden = false;
      printers[j].addEventListener("click", function () { window.print(); });
    }
    countReading();
  }

  /* "Most read": one anonymous count for this article (nothing about the reader is sent or
     kept; the page itself may come from the cache). */
  function countReading() {
    var article = document.querySelector("[data-reading]");
    if (!article || !navigator.sendBeacon) { return; }
    try { navigator.sendBeacon(article.getAttribute("data-reading")); } catch (e) { /* ignore */ }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
