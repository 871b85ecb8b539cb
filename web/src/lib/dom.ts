// A tiny element builder: h("button", {class: "x", onclick}, "text", child…).

type Attrs = Record<string, unknown>;
export type Child = Node | string | number | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else if (k === "class") el.className = String(v);
    else if (k === "value") (el as HTMLInputElement).value = String(v);
    else if (k === "checked") (el as HTMLInputElement).checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let fieldSeq = 0;

/** A labelled input with a message slot below it (role=alert) for validation errors. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): { wrap: HTMLElement; input: typeof input; error: (msg: string | null) => void } {
  const id = input.id || `f${++fieldSeq}`;
  input.id = id;
  const msg = h("div", { class: "field-error", id: `${id}-err`, "aria-live": "polite" });
  input.setAttribute("aria-describedby", msg.id);
  const wrap = h("div", { class: "field" }, h("label", { for: id }, label), input, msg);
  return {
    wrap,
    input,
    error(m) {
      msg.textContent = m ?? "";
      msg.setAttribute("role", m ? "alert" : "none");
      if (m) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    },
  };
}

/** A simple table: headers and rows of cells. */
export function table(headers: string[], rows: Child[][], label?: string): HTMLTableElement {
  return h(
    "table",
    { "aria-label": label },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.length ? rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))) : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "—"))),
  );
}

/** Calls `fn` every `ms` until `stop()` (or until the route changes, via onLeave). */
export function every(ms: number, fn: () => void | Promise<void>): () => void {
  let stopped = false;
  let timer = 0;
  const tick = async () => {
    if (stopped) return;
    try {
      await fn();
    } catch (e) {
      console.warn(e);
    }
    if (!stopped) timer = window.setTimeout(tick, ms);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** `fn` run at most once every `minMs`, on an animation frame, with whatever state is current
 *  then: a burst of calls costs one render and the last call is never dropped. A market's book
 *  socket sends 100–200 updates a second when a bot requotes; rendering each one kept Chromium's
 *  main thread so busy that a click waited seconds for it. `cancel()` drops a pending run. */
export function throttled(fn: () => void, minMs: number): { (): void; cancel(): void } {
  let lastMs = -Infinity;
  let timer = 0;
  let frame = 0;
  const run = () => {
    frame = 0;
    lastMs = performance.now();
    fn();
  };
  const call = () => {
    if (frame || timer) return;
    const waitMs = lastMs + minMs - performance.now();
    if (waitMs <= 0) frame = requestAnimationFrame(run);
    else timer = window.setTimeout(() => { timer = 0; frame = requestAnimationFrame(run); }, waitMs);
  };
  call.cancel = () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    frame = 0;
    timer = 0;
  };
  return call;
}

/** A modal question: resolves true on `yes`, false on `no` or Escape. The dialog is removed after. */
export function confirmDialog(question: string, yes: string, no: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "aria-label": question });
    const done = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.append(h("p", {}, question), h("div", { class: "actions" },
      h("button", { type: "button", class: "buy", onclick: () => done(true) }, yes),
      h("button", { type: "button", onclick: () => done(false) }, no)));
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}
