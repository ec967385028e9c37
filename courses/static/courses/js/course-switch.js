// A <select data-autosubmit> sends its form as soon as another option is chosen (the
// cohort pages' course switch). A static file, not an onchange= attribute: the
// Content-Security-Policy runs no inline script. Without JavaScript, a button does it.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
})();
