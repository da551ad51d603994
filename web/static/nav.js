/* The phone's one-row menu scrolls sideways: bring the current page's entry into view.
   A file, not inline: the CSP allows no inline script. Plain ES5. */
(function () {
  "use strict";
  var nav = document.querySelector(".main-nav");
  var here = nav && nav.querySelector("[aria-current]");
  if (here && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = here.offsetLeft - (nav.clientWidth - here.offsetWidth) / 2;
  }
}());
