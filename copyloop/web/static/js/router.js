// A tiny hash router: "#/chat/abc" -> the "chat" page with params ["abc"]. Each page's render(main, params)
// may return a cleanup function, called when the page is left (stop polling, abort a stream).

const routes = new Map();
let cleanup = null;
let fallback = "chat";

export function route(name, render) { routes.set(name, render); }
export function setDefault(name) { fallback = name; }

export function current() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || fallback, params: parts.slice(1) };
}

export function go(path) {
  const target = `#/${path}`;
  if (location.hash === target) show();
  else location.hash = target;
}

/** Change the address without rendering again (a chat that just got its thread id). */
export function replace(path) {
  history.replaceState(null, "", `#/${path}`);
}

export function show(beforeRender = () => true) {
  const { name, params } = current();
  if (!beforeRender(name)) return;
  if (cleanup) {
    try { cleanup(); } catch (err) { console.error(err); }
    cleanup = null;
  }
  const render = routes.get(name) || routes.get(fallback);
  const main = document.getElementById("main");
  main.replaceChildren();
  const result = render(main, params);
  cleanup = typeof result === "function" ? result : null;
  const title = main.querySelector(".page-title");
  if (title) title.focus({ preventScroll: false });
  for (const link of document.querySelectorAll("nav a[data-page]")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

export function start(beforeRender) {
  window.addEventListener("hashchange", () => show(beforeRender));
  show(beforeRender);
}
