// The embed configurator (/embed/configure): the preview and the snippet follow the form as it changes, and the
// area can be taken from the preview's current view. Without this script the form still works (GET, rendered
// by the server).
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("embed-config").textContent);
  const form = document.getElementById("embed-form");
  const preview = document.getElementById("preview");
  const code = document.getElementById("snippet");
  const copy = document.getElementById("copy");
  const copied = document.getElementById("copied");
  const useView = document.getElementById("use-view");
  const pageLang = form.elements.lang.value;

  function escape(text) {
    return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function choices() {
    const params = new URLSearchParams();
    for (const [field, parameter] of [["source", "source"], ["theme", "theme"], ["bbox", "bbox"], ["map_lang", "lang"]]) {
      const value = (form.elements[field].value || "").trim();
      if (value) params.set(parameter, value);
    }
    return params;
  }
  let timer = null;
  function update() {
    const params = choices();
    const src = config.base + "embed?" + params.toString();
    const language = params.get("lang") || pageLang;
    code.value = '<iframe src="' + escape(src) + '" title="' + escape(config.titles[language] || "") +
      '" width="100%" height="' + config.height + '" style="border:0" loading="lazy"></iframe>';
    clearTimeout(timer);
    timer = setTimeout(() => { preview.src = "/embed?" + params.toString(); }, 300);
    const shown = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", "?" + shown.toString());
    copied.textContent = "";
  }
  form.addEventListener("change", update);
  form.elements.bbox.addEventListener("input", update);
  form.addEventListener("submit", (event) => { event.preventDefault(); update(); });

  useView.hidden = false;
  useView.addEventListener("click", () => {
    // The preview is this hub's own page: its map says what it shows in body[data-view].
    const view = preview.contentDocument && preview.contentDocument.body.dataset.view;
    if (!view) return;
    form.elements.bbox.value = view.split(",").map((n) => Number(n).toFixed(4)).join(",");
    update();
  });

  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code.value);
    } catch (error) {
      code.select();  // no clipboard (an insecure origin): the code is selected for the user to copy
      document.execCommand("copy");
    }
    copied.textContent = config.strings.embed_copied;
  });
})();
