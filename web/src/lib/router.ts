// Hash routing: "#/trade/BTC_THB" → the route "trade" with params ["BTC_THB"]; a query after
// "?" ("#/verify?token=…") is read with hashQuery(). A render may
// return a cleanup, called when the route changes (sockets, timers).

export type Cleanup = () => void;
export type Render = (view: HTMLElement, params: string[]) => void | Cleanup | Promise<void | Cleanup>;

export function startRouter(view: HTMLElement, routes: Record<string, Render>, fallback: string, onRoute?: (name: string) => void): () => void {
  let cleanup: Cleanup | void;
  let seq = 0;
  const go = async () => {
    const parts = location.hash.replace(/^#\/?/, "").split("?")[0].split("/").filter(Boolean).map(decodeURIComponent);
    const name = parts[0] && routes[parts[0]] ? parts[0] : fallback;
    if (cleanup) cleanup();
    cleanup = undefined;
    // Each route renders into a fresh box: a render still awaiting its data when the route
    // changes appends into its own box, which is no longer on the page.
    const page = document.createElement("div");
    page.className = "page";
    view.replaceChildren(page);
    onRoute?.(name);
    const mine = ++seq;
    const result = await routes[name](page, parts.slice(1));
    if (mine !== seq) result && result();
    else cleanup = result;
  };
  window.addEventListener("hashchange", go);
  go();
  return go;
}

/** The query of the hash ("#/verify?token=abc" → token=abc). */
export function hashQuery(): URLSearchParams {
  const i = location.hash.indexOf("?");
  return new URLSearchParams(i < 0 ? "" : location.hash.slice(i + 1));
}

export function navigate(hash: string): void {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}
