// Small helpers every page uses: elements, text, dates, durations, states.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (key === "class") element.className = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(element.style, value);
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(key, String(value));
  }
  for (const child of children.flat()) if (child) element.append(child);
  return element;
}

export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

export const TERMINAL = new Set(["SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED", "RETRIED"]);

export function stateBadge(state) {
  return h("span", { class: `state state-${(state || "").toLowerCase()}` }, state || "—");
}

export function date(text) {
  if (!text) return "—";
  const value = new Date(text);
  return Number.isNaN(value.getTime()) ? text : value.toLocaleString();
}

export function seconds(start, end) {
  if (!start) return 0;
  return Math.max(0, ((end ? new Date(end) : new Date()) - new Date(start)) / 1000);
}

export function duration(value) {
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 60) return `${value.toFixed(value < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(value / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(value % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

export function errorMessage(error) {
  const details = error.details && error.details.length ? `: ${error.details.join("; ")}` : "";
  return `${error.message}${details}`;
}

// A panel of key/value pairs, `kestra://` files shown with a preview and a download link.
export function valueTree(value, fileLink) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "null");
  if (Array.isArray(value)) {
    if (!value.length) return h("span", { class: "muted" }, "[]");
    return h("ol", { class: "tree", start: 0 }, value.map((item) => h("li", {}, valueTree(item, fileLink))));
  }
  if (typeof value === "object") {
    const keys = Object.keys(value);
    if (!keys.length) return h("span", { class: "muted" }, "{}");
    return h(
      "dl",
      { class: "tree" },
      keys.map((key) => [h("dt", {}, key), h("dd", {}, valueTree(value[key], fileLink))]),
    );
  }
  if (typeof value === "string" && value.startsWith("kestra://") && fileLink) return fileLink(value);
  return h("span", { class: `value value-${typeof value}` }, String(value));
}

// Re-runs `callback` every `ms` while the element is in the page.
// Polls while the element is shown and the tab is visible: each poll is a Lambda invocation and reads in
// the deployed stack, and a tab left open in the background should not bill for them.
export function every(element, ms, callback) {
  const timer = setInterval(() => {
    if (!element.isConnected) clearInterval(timer);
    else if (!document.hidden) callback();
  }, ms);
  return () => clearInterval(timer);
}
