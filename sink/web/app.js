// newsflow dashboard: plain JavaScript, no build step, nothing loaded from
// the internet.
//
// Safety rule: article content is untrusted HTML. Every piece of it goes
// into the page as text (textContent / text nodes via el()), never through
// innerHTML; links are made only for http(s) URLs. The server's
// Content-Security-Policy forbids inline script as a second line.
//
// Direction: every element holding article text gets dir="auto" (and lang
// when the language is known), so Arabic renders right to left.
"use strict";

(() => {
  const TOKEN_KEY = "newsflow.token";
  const MAX_LIVE = 500;
  const $ = (id) => document.getElementById(id);

  // --- token -----------------------------------------------------------
  // Given once as ?token=… in the page URL, kept for this tab only, and
  // removed from the address bar (and so from history and bookmarks).
  (() => {
    const params = new URLSearchParams(location.search);
    const given = params.get("token");
    if (given) {
      sessionStorage.setItem(TOKEN_KEY, given);
      params.delete("token");
      const rest = params.toString();
      history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
    }
  })();
  const token = () => sessionStorage.getItem(TOKEN_KEY) || "";

  // --- DOM helpers -------------------------------------------------------
  // el(tag, {attr: value}, ...children): strings become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (/^on/i.test(k)) throw new Error("no event attributes");
      node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  // Only http(s) links; anything else (javascript:, data:, …) is no link.
  function safeUrl(u) {
    if (typeof u !== "string" || !u) return null;
    try {
      const url = new URL(u, location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function outLink(url, text) {
    const href = safeUrl(url);
    return href
      ? el("a", { href, rel: "noopener noreferrer nofollow", target: "_blank" }, text)
      : el("span", {}, text);
  }

  // Text attributes for article content: dir="auto", lang when plausible.
  function textAttrs(language, extra) {
    const attrs = Object.assign({ dir: "auto" }, extra || {});
    if (typeof language === "string" && /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(language)) attrs.lang = language;
    return attrs;
  }

  function when(iso) {
    if (!iso) return null;
    const d = new Date(iso);
    if (isNaN(d)) return null;
    const secs = (Date.now() - d.getTime()) / 1000;
    let label;
    if (secs < 60) label = "just now";
    else if (secs < 3600) label = Math.floor(secs / 60) + " min ago";
    else if (secs < 86400) label = Math.floor(secs / 3600) + " h ago";
    else label = d.toLocaleDateString();
    return el("time", { datetime: d.toISOString(), title: d.toLocaleString() }, label);
  }

  const enc = encodeURIComponent;

  function notice(text) {
    const n = $("notice");
    n.textContent = text || "";
    n.hidden = !text;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  // --- API -------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path) {
    const headers = { Accept: "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    const res = await fetch(path, { headers, cache: "no-store" });
    let body = null;
    try {
      body = await res.json();
    } catch (_) {
      body = null;
    }
    if (res.status === 401) {
      notice("This dashboard needs its access token: open it once as /?token=YOUR_TOKEN (it is then kept for this tab only).");
    }
    if (!res.ok) throw new ApiError(res.status, (body && body.error) || res.status + " " + res.statusText);
    return body;
  }

  // --- articles ----------------------------------------------------------
  function articleItem(a, fresh) {
    const title = a.title || a.url;
    const meta = el(
      "div",
      { class: "meta" },
      el("span", { class: "source", dir: "auto" }, a.site_name || a.source),
      when(a.published_at || a.stored_at),
      a.language ? el("span", { class: "tag" }, a.language) : null,
      a.duplicate_of ? el("a", { class: "tag", href: "#/article/" + enc(a.duplicate_of) }, "duplicate") : null,
      a.story_id ? el("a", { href: "#/story/" + enc(a.story_id) }, "story") : null,
      outLink(a.url, "original ↗"),
      typeof a.score === "number" ? el("span", { class: "tag" }, "score " + a.score.toFixed(2)) : null
    );
    return el(
      "li",
      { class: fresh ? "article new" : "article", "data-id": a.id },
      // dir="auto" on the heading only: a child with its own dir would hide
      // its text from the heading's direction detection.
      el("h2", textAttrs(a.language, { class: "title" }), el("a", { href: "#/article/" + enc(a.id) }, title)),
      meta,
      a.excerpt ? el("p", textAttrs(a.language, { class: "excerpt" }), a.excerpt) : null
    );
  }

  // --- live view ---------------------------------------------------------
  const live = { newest: null, next: null, ids: new Set(), source: null };

  function liveCount() {
    $("count").textContent = live.ids.size ? "(" + live.ids.size + " shown)" : "";
  }

  function addLive(a, fresh) {
    if (live.ids.has(a.id)) return;
    live.ids.add(a.id);
    const list = $("stream");
    const item = articleItem(a, fresh);
    if (fresh) list.prepend(item);
    else list.append(item);
    while (list.children.length > MAX_LIVE) {
      const last = list.lastElementChild;
      live.ids.delete(last.getAttribute("data-id"));
      last.remove();
      live.next = null;
      $("more").hidden = true;
    }
    liveCount();
  }

  async function loadLive() {
    const page = await api("/api/articles?limit=50");
    const list = $("stream");
    clear(list);
    live.ids.clear();
    if (!page.items.length) list.append(el("li", { class: "empty" }, "No articles stored yet: they appear here as they arrive."));
    for (const a of page.items) addLive(a, false);
    live.newest = page.items.length ? page.items[0].cursor : null;
    live.next = page.next;
    $("more").hidden = !live.next;
    performance.mark("newsflow:articles");
    document.documentElement.setAttribute("data-articles", "loaded");
  }

  async function loadOlder() {
    if (!live.next) return;
    const page = await api("/api/articles?limit=50&before=" + enc(live.next));
    for (const a of page.items) addLive(a, false);
    live.next = page.next;
    $("more").hidden = !live.next;
  }

  function setStatus(state, text) {
    const s = $("status");
    s.setAttribute("data-state", state);
    s.textContent = text;
  }

  // New articles over Server-Sent Events; the browser reconnects by itself
  // and resumes from the last event id.
  function connectStream() {
    let url = "/api/stream";
    const q = new URLSearchParams();
    if (live.newest) q.set("after", live.newest);
    if (token()) q.set("access_token", token());
    if ([...q].length) url += "?" + q.toString();
    const source = new EventSource(url);
    live.source = source;
    source.addEventListener("open", () => setStatus("live", "live"));
    source.addEventListener("error", () => setStatus("reconnecting", "reconnecting…"));
    source.addEventListener("article", (ev) => {
      let a;
      try {
        a = JSON.parse(ev.data);
      } catch (_) {
        return;
      }
      const empty = $("stream").querySelector(".empty");
      if (empty) empty.remove();
      addLive(a, true);
      live.newest = a.cursor;
    });
  }

  // --- other views -------------------------------------------------------
  async function showSearch(q) {
    $("q").value = q;
    const list = clear($("results"));
    const summary = $("search-summary");
    if (!q.trim()) {
      summary.textContent = "Type words to look for.";
      return;
    }
    summary.textContent = "Searching…";
    try {
      const res = await api("/api/search?limit=100&q=" + enc(q));
      summary.textContent = res.items.length + " result" + (res.items.length === 1 ? "" : "s") + ", most relevant first";
      for (const a of res.items) list.append(articleItem(a, false));
    } catch (e) {
      summary.textContent = e.message;
    }
  }

  function paragraphs(text, language) {
    const body = el("div", textAttrs(language, { class: "body" }));
    for (const p of String(text || "").split(/\n\s*\n|\n/)) {
      if (p.trim()) body.append(el("p", { dir: "auto" }, p.trim()));
    }
    return body;
  }

  async function showArticle(id) {
    const box = clear($("article"));
    box.className = "full";
    try {
      const a = await api("/api/articles/" + enc(id));
      const authors = Array.isArray(a.authors) ? a.authors.filter((x) => typeof x === "string") : [];
      box.append(
        el("h1", textAttrs(a.language, { class: "title" }), a.title || a.url),
        el(
          "div",
          { class: "meta" },
          el("span", { class: "source", dir: "auto" }, a.site_name || a.source),
          authors.length ? el("span", { dir: "auto" }, authors.join(", ")) : null,
          when(a.published_at || a.stored_at),
          a.language ? el("span", { class: "tag" }, a.language) : null,
          a.story_id ? el("a", { href: "#/story/" + enc(a.story_id) }, "story") : null,
          outLink(a.url, "original ↗")
        ),
        paragraphs(a.text, a.language)
      );
      if (Array.isArray(a.entities) && a.entities.length) {
        const list = el("ul", { class: "entities", "aria-label": "Entities" });
        for (const e of a.entities) list.append(el("li", { class: "tag", dir: "auto", title: e.kind }, e.key));
        box.append(list);
      }
    } catch (e) {
      box.append(el("p", { class: "empty" }, e.message));
    }
  }

  async function showStory(id) {
    const box = clear($("story"));
    try {
      const v = await api("/api/stories/" + enc(id));
      const s = v.story;
      box.append(
        el("h1", textAttrs(s.language, { class: "title" }), s.title || s.id),
        el("p", { class: "summary" }, s.articles + " articles from " + s.sources + " sources"),
        el("ol", { class: "articles" }, ...v.articles.map((a) => articleItem(a, false)))
      );
    } catch (e) {
      box.append(el("p", { class: "empty" }, e.message));
    }
  }

  async function showStories() {
    const list = clear($("stories"));
    try {
      const res = await api("/api/stories?limit=100");
      if (!res.items.length) list.append(el("li", { class: "empty" }, "No stories yet."));
      for (const s of res.items) {
        list.append(
          el(
            "li",
            { class: "story-item" },
            el("h2", textAttrs(s.language, { class: "title" }), el("a", { href: "#/story/" + enc(s.id) }, s.title || s.id)),
            el("div", { class: "meta" }, el("span", {}, s.articles + " articles · " + s.sources + " sources"), when(s.last_seen))
          )
        );
      }
    } catch (e) {
      list.append(el("li", { class: "empty" }, e.message));
    }
  }

  function health(src) {
    const f = src.fetcher;
    if (!f) return ["unknown", "—"];
    if (f.failures > 0 || f.last_error) return ["failing", f.failures > 0 ? "failing ×" + f.failures : "error"];
    const last = f.last_success ? new Date(f.last_success) : null;
    if (!last || Date.now() - last.getTime() > 6 * 3600 * 1000) return ["stale", "stale"];
    return ["ok", "ok"];
  }

  async function showSources() {
    const body = clear($("sources").tBodies[0]);
    try {
      const res = await api("/api/sources");
      if (!res.items.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, "No sources yet.")));
      for (const s of res.items) {
        const [state, label] = health(s);
        const f = s.fetcher || {};
        body.append(
          el(
            "tr",
            {},
            el("td", { dir: "auto" }, s.site_name ? s.site_name + " (" + s.id + ")" : s.id),
            el("td", { class: "health-" + state }, label),
            el("td", { class: "num" }, s.articles),
            el("td", {}, when(s.last_article_at) || "—"),
            el("td", {}, when(f.last_polled) || "—"),
            el("td", { class: "error", dir: "auto" }, f.last_error || "")
          )
        );
      }
    } catch (e) {
      body.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, e.message)));
    }
  }

  async function showAlerts() {
    const body = clear($("alerts").tBodies[0]);
    try {
      const res = await api("/api/alerts?limit=100");
      if (!res.items.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No alerts raised.")));
      for (const a of res.items) {
        body.append(
          el(
            "tr",
            {},
            el("td", {}, when(a.raised_at) || "—"),
            el("td", { dir: "auto" }, a.rule),
            el(
              "td",
              { dir: "auto" },
              outLink(a.url, a.title || a.url),
              a.story_id ? el("span", {}, " · ", el("a", { href: "#/story/" + enc(a.story_id) }, "story")) : null
            ),
            el("td", { class: "num" }, a.articles),
            el("td", {}, when(a.updated_at) || "—")
          )
        );
      }
    } catch (e) {
      const text = e.status === 404 ? "This server does not keep an alert log." : e.message;
      body.append(el("tr", {}, el("td", { colspan: 5, class: "empty" }, text)));
    }
  }

  // --- routing -----------------------------------------------------------
  const VIEWS = ["live", "search", "article", "story", "stories", "sources", "alerts"];

  function show(view) {
    for (const v of VIEWS) $("view-" + v).hidden = v !== view;
    for (const a of document.querySelectorAll("nav a")) {
      if (a.getAttribute("data-view") === view) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  function route() {
    const hash = location.hash.replace(/^#\/?/, "");
    const [path, query] = hash.split("?");
    const parts = path.split("/").map((p) => {
      try {
        return decodeURIComponent(p);
      } catch (_) {
        return p;
      }
    });
    switch (parts[0]) {
      case "search":
        show("search");
        return showSearch(new URLSearchParams(query || "").get("q") || "");
      case "article":
        show("article");
        return showArticle(parts[1] || "");
      case "story":
        show("story");
        return showStory(parts[1] || "");
      case "stories":
        show("stories");
        return showStories();
      case "sources":
        show("sources");
        return showSources();
      case "alerts":
        show("alerts");
        return showAlerts();
      default:
        show("live");
        return null;
    }
  }

  async function start() {
    if (token()) $("api-doc").hidden = true;
    $("search-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      location.hash = "#/search?q=" + enc($("q").value);
    });
    $("more").addEventListener("click", () => loadOlder().catch((e) => notice(e.message)));
    window.addEventListener("hashchange", route);
    route();
    try {
      await loadLive();
    } catch (e) {
      setStatus("reconnecting", "offline");
      if (e.status !== 401) notice("Cannot load articles: " + e.message);
      if (e.status === 401) return;
    }
    connectStream();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
