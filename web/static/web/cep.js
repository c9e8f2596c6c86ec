// Progressive enhancements; the pages work without them (CSP: no inline script).
(function () {
  function updateCounter(counter) {
    var field = document.getElementById(counter.dataset.counterFor);
    if (field) counter.textContent = field.value.length + "/" + (field.getAttribute("maxlength") || 255);
  }
  document.addEventListener("input", function (event) {
    var counter = document.querySelector('[data-counter-for="' + event.target.id + '"]');
    if (counter) updateCounter(counter);
  });
})();
