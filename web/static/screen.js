/* The street screen: show what the player publishes for this screen, and keep showing it.

   Polls the state every 200 ms with If-None-Match, so most answers are empty 304s.
   A new state's pictures are loaded and decoded before they replace the old ones,
   so the screen never flashes black. Idle slides rotate here, from the pictures
   already loaded, so they go on rotating while the panel is down. When the panel
   cannot be reached the screen keeps what it shows and retries, backing off to
   every 2 s, forever; the street never sees an error.

   Plain ES5, no libraries: it runs for weeks in a kiosk browser, so it reuses its
   one XMLHttpRequest, keeps only the current state's pictures, and puts those very
   pictures on the page once decoded, never a second copy fetched by URL.
   Text from notices is set with textContent only. */
(function () {
  "use strict";
  var stage = document.getElementById("stage");
  if (!stage || !window.XMLHttpRequest) {
    return;
  }

  var POLL_MS = 200;
  var MAX_RETRY_MS = 2000;
  var REQUEST_TIMEOUT_MS = 3000;
  var PRELOAD_TIMEOUT_MS = 5000;
  var REPAIR_MS = 2000;
  var DEFAULT_SECONDS = 10;
  var MIN_SECONDS = 1;
  var MIN_FONT_PX = 6;
  var TITLE_SCALE = 1.25; // as on the rendered slides (media/slides.py)
  var SHA256 = /^[0-9a-f]{64}$/;

  var stateUrl = stage.getAttribute("data-state-url");
  var slideUrl = stage.getAttribute("data-slide-url");
  var layers = {
    text: document.getElementById("text"),
    still: document.getElementById("still"),
    scroll: document.getElementById("scroll")
  };
  var still = layers.still;
  var strip = document.getElementById("strip");
  var words = document.getElementById("words");
  var titleBox = document.getElementById("title");
  var bodyBox = document.getElementById("body");
  var stationName = titleBox.textContent;
  var raf = window.requestAnimationFrame || function (callback) {
    return window.setTimeout(function () { callback(Date.now()); }, 16);
  };
  var cancelRaf = window.cancelAnimationFrame || window.clearTimeout;

  var width = 0;
  var height = 0;
  var speed = 60; // strip pixels per second

  // What is on screen: replaced whole when a new state arrives, never appended to.
  var slides = [];
  var pictures = {}; // url -> {image: Image, status: "loading" | "ok" | "failed"}
  var index = 0;
  var shownLayer = "text";
  var shownUrl = null;
  var rotateTimer = 0;
  var repairTimer = 0;
  var generation = 0; // the newest state being loaded; older loads are dropped

  var scrollWidth = 0;
  var scrollStart = -1;
  var frame = 0;

  var xhr = new XMLHttpRequest();
  var etag = null;
  var retryMs = POLL_MS;

  // -- size -------------------------------------------------------------------------

  function resize(w, h) {
    if (w === width && h === height) {
      return;
    }
    width = w;
    height = h;
    // The LED sending card shows the top-left corner of the picture, pixel for pixel.
    stage.style.width = w + "px";
    stage.style.height = h + "px";
    still.width = w;
    still.height = h;
    strip.height = h;
    speed = Math.max(60, 1.5 * h); // about one character height every 0.6 s
    if (shownLayer === "text") {
      fitText();
    }
  }

  // -- what is shown ----------------------------------------------------------------

  function reveal(name) {
    // Show the new layer before hiding the old one, in the same frame: never black.
    layers[name].className = layers[name].className.replace(/ on$/, "") + " on";
    for (var other in layers) {
      if (other !== name && layers.hasOwnProperty(other)) {
        layers[other].className = layers[other].className.replace(/ on$/, "");
      }
    }
  }

  function ready(url) {
    return url !== null && pictures.hasOwnProperty(url) && pictures[url].status === "ok";
  }

  function render(force) {
    var slide = slides[index];
    var layer = "text";
    var url = null;
    if (slide && ready(slide.scroll)) {
      layer = "scroll";
      url = slide.scroll;
    } else if (slide && ready(slide.image)) {
      layer = "still";
      url = slide.image;
    }
    if (!force && layer === shownLayer && url === shownUrl) {
      return;
    }
    if (layer === "scroll") {
      startScroll(url);
    } else {
      stopScroll();
    }
    if (layer === "still") {
      still = adopt(still, url, strip);
      still.width = width;
      still.height = height;
      layers.still = still;
    } else if (layer === "text") {
      showText(slide);
    }
    reveal(layer);
    shownLayer = layer;
    shownUrl = url;
  }

  function showSlide(i) {
    index = i;
    render(true);
    window.clearTimeout(rotateTimer);
    rotateTimer = 0;
    if (slides.length > 1) {
      rotateTimer = window.setTimeout(rotate, dwell(slides[index]) * 1000);
    }
  }

  function rotate() {
    showSlide((index + 1) % slides.length);
  }

  function dwell(slide) {
    if (shownLayer === "scroll") {
      // Let the strip pass once completely before the next slide.
      return Math.max(slide.seconds, scrollWidth / speed + 1);
    }
    return slide.seconds;
  }

  // -- text, when a slide has no picture yet ----------------------------------------

  function showText(slide) {
    var title = slide ? slide.title : "";
    var body = slide ? slide.body : "";
    if (!title && !body) {
      title = stationName;
    }
    titleBox.textContent = title; // as text, never markup: notices reach the street
    bodyBox.textContent = body;
    fitText();
  }

  function fitText() {
    // The largest size at which the words fit, found by halving.
    var room = height - 2 * Math.round(height * 0.04); // a little air above and below
    var low = MIN_FONT_PX;
    var high = Math.max(MIN_FONT_PX, height);
    var best = MIN_FONT_PX;
    while (low <= high) {
      var middle = Math.floor((low + high) / 2);
      setFontSize(middle);
      if (words.scrollHeight <= room && words.scrollWidth <= words.clientWidth) {
        best = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    setFontSize(best);
  }

  function setFontSize(px) {
    bodyBox.style.fontSize = px + "px";
    titleBox.style.fontSize = Math.round(px * TITLE_SCALE) + "px";
  }

  // -- the scrolling strip ----------------------------------------------------------

  function startScroll(url) {
    scrollWidth = pictures[url].image.naturalWidth || width;
    strip = adopt(strip, url, still);
    strip.height = height;
    scrollStart = -1;
    place(0);
    if (!frame) {
      frame = raf(step);
    }
  }

  function step(now) {
    frame = 0;
    if (shownLayer !== "scroll") {
      return;
    }
    if (scrollStart < 0) {
      scrollStart = now;
    }
    // Right to left, looping: the strip starts where the still does (left edge at 0),
    // leaves on the left, and comes back in from the right.
    var cycle = scrollWidth + width;
    var travelled = (((now - scrollStart) / 1000) * speed + width) % cycle;
    place(width - travelled);
    frame = raf(step);
  }

  function place(x) {
    // Whole pixels: LED text blurs when it moves by fractions.
    strip.style.transform = "translate3d(" + Math.round(x) + "px, 0, 0)";
  }

  function stopScroll() {
    if (frame) {
      cancelRaf(frame);
      frame = 0;
    }
  }

  // -- pictures ---------------------------------------------------------------------

  function adopt(current, url, other) {
    // Put the loaded, decoded picture itself on the page in place of `current`, rather
    // than pointing `current` at its URL: no request (the panel may be down) and nothing
    // left to decode, so the next frame paints it and never a blank layer.
    var image = pictures[url].image;
    if (image === current) {
      return current;
    }
    if (image === other) {
      image = image.cloneNode(false); // the same picture on the other layer
    }
    image.id = current.id;
    image.className = current.className;
    image.alt = "";
    current.parentNode.replaceChild(image, current);
    return image;
  }

  function load(url, picture, done) {
    var image = new Image();
    picture.image = image;
    picture.status = "loading";
    image.onload = function () {
      image.onload = image.onerror = null;
      // Decode now, so swapping it in later paints in one frame.
      if (image.decode) {
        image.decode().then(loaded, loaded);
      } else {
        loaded();
      }
    };
    image.onerror = function () {
      image.onload = image.onerror = null;
      picture.status = "failed";
      done();
    };
    function loaded() {
      picture.status = "ok";
      done();
      if (pictures[url] === picture) {
        render(false); // a picture that came late replaces the text in place
      }
    }
    image.src = url;
  }

  function preload(next, done) {
    var fresh = {};
    var pending = 1;
    var finished = false;
    var timer = window.setTimeout(finish, PRELOAD_TIMEOUT_MS);

    function finish() {
      if (!finished) {
        finished = true;
        window.clearTimeout(timer);
        done(fresh);
      }
    }
    function settle() {
      pending -= 1;
      if (pending === 0) {
        finish();
      }
    }
    function want(url) {
      if (url === null || fresh.hasOwnProperty(url)) {
        return;
      }
      pending += 1;
      if (ready(url)) {
        fresh[url] = pictures[url]; // already on screen: keep it, no request
        settle();
      } else {
        fresh[url] = { image: null, status: "loading" };
        load(url, fresh[url], settle);
      }
    }
    for (var i = 0; i < next.length; i += 1) {
      want(next[i].image);
      want(next[i].scroll);
    }
    settle();
  }

  function repair() {
    // Retry pictures that failed (a network blip while loading), so the screen does
    // not keep the text fallback until the next state; stops once all are loaded.
    repairTimer = 0;
    var waiting = false;
    for (var url in pictures) {
      if (pictures.hasOwnProperty(url) && pictures[url].status !== "ok") {
        waiting = true;
        if (pictures[url].status === "failed") {
          load(url, pictures[url], noop);
        }
      }
    }
    if (waiting) {
      repairTimer = window.setTimeout(repair, REPAIR_MS);
    }
  }

  function noop() {}

  // -- the state --------------------------------------------------------------------

  function picture(sha) {
    return typeof sha === "string" && SHA256.test(sha) ? slideUrl.replace("{sha256}", sha) : null;
  }

  function text(value) {
    return typeof value === "string" ? value : "";
  }

  function seconds(value) {
    return typeof value === "number" && isFinite(value) && value >= MIN_SECONDS
      ? value
      : DEFAULT_SECONDS;
  }

  function readSlides(state) {
    var given = state && state.slides instanceof Array ? state.slides : [];
    var next = [];
    for (var i = 0; i < given.length; i += 1) {
      var slide = given[i] || {};
      next.push({
        image: picture(slide.image),
        scroll: picture(slide.scroll),
        title: text(slide.title),
        body: text(slide.body),
        seconds: seconds(slide.seconds)
      });
    }
    return next;
  }

  function apply(seq, state) {
    var next = readSlides(state);
    var mine = (generation += 1);
    preload(next, function (fresh) {
      if (mine !== generation) {
        return; // a newer state arrived while these pictures loaded
      }
      pictures = fresh;
      slides = next;
      stage.setAttribute("data-seq", String(seq));
      stage.setAttribute("data-mode", state && state.mode === "broadcast" ? "broadcast" : "idle");
      showSlide(0);
      window.clearTimeout(repairTimer);
      repairTimer = window.setTimeout(repair, REPAIR_MS);
    });
  }

  // -- polling ----------------------------------------------------------------------

  function poll() {
    xhr.open("GET", stateUrl, true);
    xhr.timeout = REQUEST_TIMEOUT_MS;
    xhr.setRequestHeader("Accept", "application/json");
    if (etag) {
      // Set by us, so the browser hands the 304 over instead of answering from cache.
      xhr.setRequestHeader("If-None-Match", etag);
    }
    xhr.send();
  }

  function linked() {
    stage.setAttribute("data-link", "up");
    retryMs = POLL_MS;
    window.setTimeout(poll, POLL_MS);
  }

  function lost() {
    // Keep what is on screen; try again, less often, but never give up.
    stage.setAttribute("data-link", "down");
    window.setTimeout(poll, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  xhr.onload = function () {
    if (xhr.status === 304) {
      linked();
      return;
    }
    var answer = null;
    if (xhr.status === 200) {
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (e) {
        answer = null;
      }
    }
    if (!answer || typeof answer.width !== "number" || typeof answer.height !== "number") {
      lost();
      return;
    }
    etag = xhr.getResponseHeader("ETag");
    resize(answer.width, answer.height); // config.yaml may have changed since the page loaded
    apply(answer.seq, answer.state);
    linked();
  };
  xhr.onerror = lost;
  xhr.ontimeout = lost;

  resize(parseInt(stage.getAttribute("data-width"), 10), parseInt(stage.getAttribute("data-height"), 10));
  poll();
})();
