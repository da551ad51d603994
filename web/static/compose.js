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
  var template = out.getAttribute("data-template") || "{chars} / {length}";

  // m:ss in whole seconds cut down: the same as web/formatting.py's duration filter.
  function duration(seconds) {
    var total = Math.floor(Math.max(seconds, 0));
    var secs = total % 60;
    var minutes = Math.floor(total / 60) % 60;
    var hours = Math.floor(total / 3600);
    var mm = hours ? (minutes < 10 ? "0" : "") + minutes : String(minutes);
    return (hours ? hours + ":" : "") + mm + ":" + (secs < 10 ? "0" : "") + secs;
  }

  function update() {
    var value = text.value.replace(/^\s+|\s+$/g, "");
    // Spaces and line breaks are not spoken; everything else takes time.
    var spoken = value.replace(/\s+/g, "").length;
    out.textContent = template.replace("{chars}", value.length)
      .replace("{length}", duration(spoken / perSecond));
  }

  text.addEventListener("input", update);
  update();
})();
