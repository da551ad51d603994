/* One click, one action: while the server works (making speech, checking a
   recording), a form's submit button shows its data-busy label and is disabled.
   Plain ES5. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("form button[type=submit][data-busy]");
  var i;

  function busy(button) {
    return function () {
      button.setAttribute("data-label", button.textContent);
      button.textContent = button.getAttribute("data-busy");
      button.disabled = true;
    };
  }

  for (i = 0; i < buttons.length; i += 1) {
    buttons[i].form.addEventListener("submit", busy(buttons[i]));
  }

  // Coming back with the browser's back button shows the page as it was left.
  window.addEventListener("pageshow", function () {
    for (i = 0; i < buttons.length; i += 1) {
      if (buttons[i].disabled && buttons[i].getAttribute("data-label") !== null) {
        buttons[i].textContent = buttons[i].getAttribute("data-label");
        buttons[i].disabled = false;
      }
    }
  });
})();
