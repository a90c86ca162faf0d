// The preview page: follows the server's state (server-sent events) and updates in place, so the
// scroll position stays where the reader left it. Only images whose page hash changed are reloaded.
"use strict";
(function () {
  const pages = document.getElementById("pages");
  const status = document.getElementById("status");
  const overlay = document.getElementById("error");
  const errorLine = document.getElementById("error-line");
  const chapterList = document.getElementById("chapter-list");

  function link(id, href) {
    const a = document.getElementById(id);
    a.hidden = !href;
    if (href) a.href = href;
  }

  function showPages(list) {
    for (let i = 0; i < list.length; i++) {
      const page = list[i];
      let figure = pages.children[i];
      if (!figure) {
        figure = document.createElement("figure");
        const img = document.createElement("img");
        figure.appendChild(img);
        figure.appendChild(document.createElement("figcaption"));
        pages.appendChild(figure);
      }
      const img = figure.firstChild;
      figure.dataset.number = String(page.number);
      figure.id = "page-" + page.number;
      if (img.dataset.hash !== page.hash) {
        img.width = page.width / 2;
        img.height = page.height / 2;
        img.alt = "page " + page.label;
        img.dataset.hash = page.hash;
        img.dataset.loaded = "";
        img.onload = function () { img.dataset.loaded = page.hash; };
        img.src = page.src;
      }
      figure.lastChild.textContent = page.label;
    }
    while (pages.children.length > list.length) pages.lastChild.remove();
  }

  function showChapters(list) {
    chapterList.replaceChildren(...list.map(function (c) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = c.href;
      a.target = "_blank";
      a.textContent = c.title;
      li.appendChild(a);
      return li;
    }));
  }

  function show(state) {
    status.textContent = state.status === "ok" ? "built (" + state.seconds + " s)" :
      state.status === "preview" ? "building (pages shown)" : state.status;
    status.dataset.status = state.status;
    document.body.dataset.build = String(state.build);
    document.body.dataset.status = state.status;
    if (state.pages.length) showPages(state.pages);  // the last good pages (or, while building, the new PDF's)
    if (state.status === "error") {
      errorLine.textContent = state.error;
      overlay.hidden = false;
    } else if (state.status === "preview") {  // the new PDF's pages, while the EPUB is made
      overlay.hidden = true;
    } else if (state.status === "ok") {
      overlay.hidden = true;
      showPages(state.pages);
      showChapters(state.chapters);
      link("pdf-link", state.pdf);
      link("epub-link", state.epub);
    }
  }

  const events = new EventSource("/events");
  events.onmessage = function (message) { show(JSON.parse(message.data)); };
})();
