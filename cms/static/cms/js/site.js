/* Every page's script (a static file: the Content-Security-Policy allows no inline script).

   1. The header menu folds behind the "Menu" button on a phone. The page is marked as
      scripted (html.has-js) right away, before the first paint, and only then does the
      stylesheet fold the menu: without JavaScript the links simply stay in the header.
   2. A wide table scrolls inside its own region (.table-scroll: a focusable, labelled
      region). When it is wider than the screen, a hint above it says so and the edge
      that hides more of it fades out (classes overflowing / more-left / more-right). */
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");

  function setUpMenu() {
    var button = document.querySelector(".menu-toggle");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    }
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false);
        button.focus();
      }
    });
  }

  function setUpScrollRegions() {
    var text = document.body.getAttribute("data-scroll-hint") || "";
    var regions = document.querySelectorAll(".table-scroll");
    if (!regions.length) return;
    function update(region) {
      var hidden = region.scrollWidth - region.clientWidth;
      var overflowing = hidden > 1;
      region.classList.toggle("overflowing", overflowing);
      region.classList.toggle("more-left", overflowing && region.scrollLeft > 1);
      region.classList.toggle("more-right", overflowing && region.scrollLeft < hidden - 1);
      if (region.scrollHint) region.scrollHint.hidden = !overflowing;
      // a tab stop only where there is something to scroll with the arrow keys
      if (overflowing) region.setAttribute("tabindex", "0");
      else if (region !== document.activeElement) region.removeAttribute("tabindex");
    }
    Array.prototype.forEach.call(regions, function (region) {
      if (text) {
        var hint = document.createElement("p");
        var arrow = document.createElement("span");
        hint.className = "scroll-hint";
        arrow.setAttribute("aria-hidden", "true");
        arrow.textContent = "\u2194 ";
        hint.appendChild(arrow);
        hint.appendChild(document.createTextNode(text));
        hint.hidden = true;
        region.parentNode.insertBefore(hint, region);
        region.scrollHint = hint;
      }
      region.addEventListener("scroll", function () { update(region); }, { passive: true });
      if (window.ResizeObserver) {
        // the region's own size (the window) and its table's (rows added live)
        var observer = new ResizeObserver(function () { update(region); });
        observer.observe(region);
        if (region.firstElementChild) observer.observe(region.firstElementChild);
      }
      update(region);
    });
    window.addEventListener("resize", function () {
      Array.prototype.forEach.call(regions, update);
    });
  }

  function ready() {
    setUpMenu();
    setUpScrollRegions();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
