// Scale each screen preview to its card where the browser lacks the CSS that does it
// (container units and tan/atan2, in browsers since 2023). Older phone browsers get here.
(function () {
  "use strict";
  const css = window.CSS;
  if (css && css.supports("width", "1cqw") && css.supports("transform", "scale(tan(atan2(1px, 2px)))")) {
    return;
  }
  const boxes = document.querySelectorAll(".screen-preview");

  function fit(box) {
    const width = Number(box.dataset.width);
    const height = Number(box.dataset.height);
    box.style.maxWidth = width + "px";
    const shown = box.clientWidth;
    box.style.height = (shown * height) / width + "px";
    box.querySelector("iframe").style.transform = "scale(" + shown / width + ")";
  }

  function fitAll() {
    boxes.forEach(fit);
  }

  window.addEventListener("resize", fitAll);
  fitAll();
})();
