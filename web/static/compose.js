/* Live character count and spoken-length estimate for the announcement form.
   The busy label while the server makes the speech is busy.js's. Plain ES5. */
(function () {
  "use strict";
  var text = document.getElementById("text");
  var out = document.getElementById("text-count");
  if (!text || !out) {
    return;
  }
  var perSecond = parseFloat(out.getAttribute("data-chars-per-second")) || 4.5;
  var template = out.getAttribute("data-template") || "{chars} / {seconds}";

  function update() {
    var value = text.value.replace(/^\s+|\s+$/g, "");
    // Spaces and line breaks are not spoken; everything else takes time.
    var spoken = value.replace(/\s+/g, "").length;
    var seconds = Math.ceil(spoken / perSecond);
    out.textContent = template.replace("{chars}", value.length).replace("{seconds}", seconds);
  }

  text.addEventListener("input", update);
  update();
})();
