/* The printable report's Print button. A file, not inline: the CSP allows no
   inline script. Plain ES5. */
(function () {
  "use strict";
  var button = document.getElementById("print-report");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
}());
