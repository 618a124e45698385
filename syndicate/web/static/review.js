// Progressive enhancement for the post page: a live counter from the server's own counting.
// Without this script every form still works; the server checks everything again.
(function () {
  "use strict";
  var area = document.querySelector("textarea[data-preview]");
  if (!area || area.readOnly) return;
  var counter = document.querySelector("[data-counter]");
  var problems = document.querySelector("[data-problems]");
  var approves = document.querySelectorAll("[data-approve]");
  var preview = document.querySelector("[data-preview-text]");
  var token = document.querySelector('meta[name="csrf-token"]');
  var timer = null;
  var sequence = 0;

  function show(result) {
    counter.textContent = result.length + " / " + result.limit + " " + result.unit;
    counter.classList.toggle("over", result.length > result.limit);
    problems.replaceChildren();
    result.problems.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      problems.appendChild(item);
    });
    approves.forEach(function (button) { button.disabled = !result.valid; });
    if (preview) preview.textContent = result.text;
  }

  function check() {
    var mine = ++sequence;
    fetch("/api/preview", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token ? token.content : ""},
      body: JSON.stringify({channel: area.dataset.channel, article_id: area.dataset.article, text: area.value})
    }).then(function (response) {
      if (!response.ok) throw new Error("preview " + response.status);
      return response.json();
    }).then(function (result) {
      if (mine === sequence) show(result);
    }).catch(function () {
      counter.textContent = "could not check the text; it will be checked when you save";
    });
  }

  area.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 150);
  });
})();
