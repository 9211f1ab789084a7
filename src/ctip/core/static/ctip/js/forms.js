/* Forms that help (issue 15.4): when a page comes back with errors, move the focus to the
   summary of errors at the top of the form, so that a screen reader reads it and a phone
   shows it; its links lead to each field. Without JavaScript the form's action carries the
   form's anchor, so the browser still opens the page at the form. Loaded from a static file:
   the content security policy allows no inline script. */
(function () {
  "use strict";
  function focusSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: "start" });
  }
  function followLink(event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    field.focus();
    field.scrollIntoView({ block: "center" });
  }
  document.addEventListener("DOMContentLoaded", function () { focusSummary(document); });
  document.addEventListener("click", followLink);
  document.addEventListener("htmx:afterSwap", function (event) { focusSummary(event.target); });
}());
