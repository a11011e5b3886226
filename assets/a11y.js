// What every page does in the browser alone (loaded in <head> by xobito_web.py):
// times in the viewer's own time zone that keep themselves current, focus on the page's
// heading after a navigation, long threads opened at the newest message, focus on the reply
// just sent, and a page left without laying it out again.
(() => {
  // Made on first use, when the browser is idle: building it loads the locale's data, which took
  // 10–20 ms of a first visit's main thread, right when the page was asking for its data.
  let exact = null;
  const whenIdle = window.requestIdleCallback || ((callback) => setTimeout(callback, 200));
  const UNITS = [[31536000, "year"], [2592000, "month"], [86400, "day"], [3600, "hour"], [60, "minute"]];

  // The same words as xobito_web/formatting.py relative_time.
  function relative(moment) {
    const seconds = Math.max(0, Math.floor((Date.now() - moment) / 1000));
    for (const [size, unit] of UNITS) {
      if (seconds >= size) {
        const count = Math.floor(seconds / size);
        return `${count} ${unit}${count === 1 ? "" : "s"} ago`;
      }
    }
    return "just now";
  }

  let titlesQueued = false;
  function updateTitles() {
    titlesQueued = false;
    exact = exact || new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
    });
    for (const element of document.querySelectorAll("time[datetime]")) {
      const moment = Date.parse(element.getAttribute("datetime"));
      if (Number.isNaN(moment)) continue;
      const title = exact.format(moment);
      if (element.title !== title) element.title = title;
    }
  }

  function updateTimes(root = document) {
    let found = false;
    for (const element of root.querySelectorAll("time[datetime]")) {
      const moment = Date.parse(element.getAttribute("datetime"));
      if (Number.isNaN(moment)) continue;
      found = true;
      // React owns the text node: change its value, never the node, so React's updates still land.
      const node = element.firstChild;
      const text = relative(moment);
      if (node && node.nodeType === Node.TEXT_NODE && node.nodeValue !== text && element.childNodes.length === 1) {
        node.nodeValue = text;
      }
    }
    // The exact time in the viewer's zone, shown on hover: no hurry.
    if (found && !titlesQueued) {
      titlesQueued = true;
      whenIdle(updateTitles);
    }
  }

  // --- Focus after navigation, and long threads at their newest message ---
  let lastPath = null;
  let pending = null; // a heading to focus: {deadline, stale heading of the page before}
  let sentAt = 0; // when this tab last sent a reply
  let articlesBefore = 0;
  let closedShown = false; // the closed notice was already on screen at the last look
  let threadDeadline = 0; // a newly opened thread still to be shown at its newest message, until then

  function latestMessage() {
    const articles = document.querySelectorAll("#thread article");
    return articles.length ? articles[articles.length - 1] : null;
  }

  function jumpToLatest() {
    const latest = latestMessage();
    if (latest) {
      latest.scrollIntoView({ block: "start" });
      latest.focus({ preventScroll: true });
    }
  }

  function focusHeading() {
    if (!pending) return;
    if (Date.now() > pending.deadline) { pending = null; return; }
    const heading = document.querySelector("main h1, h1");
    if (!heading || document.querySelector("main [role=status][aria-label=Loading]")) return;
    // Still the page navigated away from (the router changes the address before it renders).
    if (heading === pending.stale && heading.textContent === pending.staleText) return;
    pending = null;
    const active = document.activeElement;
    const untouched = !active || active === document.body || !active.isConnected || active.closest(".site-header");
    const thread = document.querySelectorAll("#thread article");
    if (untouched) {
      if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: thread.length >= 4 });
    }
    articlesBefore = thread.length;
  }

  // The messages may arrive after the heading (the page renders before its thread): the first
  // time the thread shows on a newly opened page, a long one is shown at its newest message.
  function showNewestOnce() {
    if (!threadDeadline || pending) return;
    if (Date.now() > threadDeadline) { threadDeadline = 0; return; }
    // The part below the messages renders a frame after them (ui.AfterFirstPaint): scrolled
    // before it is there, a long thread would stop short of its newest message.
    if (document.querySelector("[data-rendering-later]")) return;
    const thread = document.querySelectorAll("#thread article");
    if (!thread.length) return;
    threadDeadline = 0;
    if (thread.length >= 4) thread[thread.length - 1].scrollIntoView({ block: "start" });
  }

  function checkRoute() {
    if (location.pathname !== lastPath) {
      const stale = lastPath === null ? null : document.querySelector("main h1, h1");
      lastPath = location.pathname;
      pending = { deadline: Date.now() + 15000, stale, staleText: stale ? stale.textContent : null };
      articlesBefore = 0;
      threadDeadline = Date.now() + 15000;
    }
  }

  function onChange() {
    checkRoute();
    focusHeading();
    showNewestOnce();
    updateTimes();
    // The reply this tab just sent appeared: focus goes to it.
    const count = document.querySelectorAll("#thread article").length;
    if (sentAt && count > articlesBefore && Date.now() - sentAt < 60000) {
      sentAt = 0;
      const latest = latestMessage();
      latest.scrollIntoView({ block: "nearest" });
      latest.focus({ preventScroll: true });
    }
    if (!pending) articlesBefore = count;
    // Closing the ticket removed the button that had the focus: the closed notice takes it.
    const closed = document.getElementById("closed-notice");
    if (closed && !closedShown && (document.activeElement === document.body || !document.activeElement)) {
      closed.setAttribute("tabindex", "-1");
      closed.focus();
    }
    closedShown = Boolean(closed);
  }

  // --- Leaving the page ---
  // React Router's ScrollRestoration (in Reflex's document) saves window.scrollY in `pagehide`.
  // By then Chromium has invalidated the style of the page being left, so that one read restyles
  // and lays out the whole page: 5-20 ms of every reload and every link to another document,
  // before the next page may start. The position is noted as the page scrolls (free then) and
  // that read is given the note instead; a page restored from the back-forward cache gets the
  // browser's own scrollY back.
  let scrolledTo = 0;
  window.addEventListener("scroll", () => { scrolledTo = window.scrollY; }, { passive: true });
  const nativeScrollY = Object.getOwnPropertyDescriptor(window, "scrollY");
  window.addEventListener("pagehide", () => {
    Object.defineProperty(window, "scrollY", { configurable: true, get: () => scrolledTo });
  }, true);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && nativeScrollY) Object.defineProperty(window, "scrollY", nativeScrollY);
  });

  // The skip link: focus the main content itself (the router would not move the focus).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.skip-link");
    const target = link && document.getElementById(new URL(link.href).hash.slice(1));
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "start" });
  }, true);

  document.addEventListener("submit", (event) => {
    if (event.target.querySelector && event.target.querySelector("#reply-body")) {
      sentAt = Date.now();
      articlesBefore = document.querySelectorAll("#thread article").length;
    }
  }, true);

  for (const name of ["pushState", "replaceState"]) {
    const original = history[name];
    history[name] = function (...args) {
      const result = original.apply(this, args);
      queueMicrotask(onChange);
      return result;
    };
  }
  window.addEventListener("popstate", onChange);

  let scheduled = false;
  const observer = new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; onChange(); });
  });
  function start() {
    observer.observe(document.body, { childList: true, subtree: true, characterData: false });
    onChange();
    setInterval(() => updateTimes(), 30000);
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);

  window.xobito = { jumpToLatest, updateTimes };
})();
