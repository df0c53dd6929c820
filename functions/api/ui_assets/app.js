// The shell: routes (`#/…`), the navigation, the theme, and asking for credentials when the API wants some.
import { setCredentials, whenUnauthorized } from "./api.js";
import { h, replace } from "./dom.js";
import { executionPage } from "./execution.js";
import { executionsPage } from "./executions.js";
import { flowPage } from "./flow.js";
import { flowsPage } from "./flows.js";
import { namespacesPage } from "./namespaces.js";
import { triggersPage } from "./triggers.js";

const ROUTES = [
  [/^#\/executions\/([^/]+)$/, (id) => executionPage(decodeURIComponent(id)), "executions"],
  [/^#\/executions\/?$/, () => executionsPage(), "executions"],
  [/^#\/flows\/new$/, () => flowPage(null, null), "flows"],
  [/^#\/flows\/([^/]+)\/([^/]+)$/, (ns, id) => flowPage(decodeURIComponent(ns), decodeURIComponent(id)), "flows"],
  [/^#\/flows\/?$/, () => flowsPage(), "flows"],
  [/^#\/namespaces(?:\/([^/]+))?$/, (ns) => namespacesPage(ns ? decodeURIComponent(ns) : null), "namespaces"],
  [/^#\/triggers\/?$/, () => triggersPage(), "triggers"],
];

async function route() {
  const view = document.getElementById("view");
  const hash = location.hash || "#/executions";
  for (const [pattern, page, section] of ROUTES) {
    const match = hash.split("?")[0].match(pattern);
    if (!match) continue;
    for (const link of document.querySelectorAll("[data-nav]")) {
      link.toggleAttribute("aria-current", link.dataset.nav === section);
    }
    replace(view, h("p", { class: "muted" }, "Loading…"));
    try {
      const content = await page(...match.slice(1));
      replace(view, content);
    } catch (error) {
      replace(view, h("div", { class: "panel error" }, h("h1", {}, "Something went wrong"), h("p", {}, error.message)));
    }
    return;
  }
  replace(view, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/executions" }, "Executions")));
}

function askCredentials() {
  return new Promise((resolve) => {
    const user = h("input", { name: "user", autocomplete: "username", required: true });
    const password = h("input", { name: "password", type: "password", autocomplete: "current-password" });
    const dialog = h(
      "dialog",
      { class: "login", "aria-labelledby": "login-title" },
      h(
        "form",
        {
          method: "dialog",
          onsubmit: () => {
            const value = password.value
              ? `Basic ${btoa(`${user.value}:${password.value}`)}`
              : `Bearer ${user.value}`;
            setCredentials(value);
            dialog.remove();
            resolve();
          },
        },
        h("h2", { id: "login-title" }, "Sign in to Kite"),
        h("label", {}, "User (or a token, with no password)", user),
        h("label", {}, "Password", password),
        h("button", { type: "submit" }, "Sign in"),
      ),
    );
    document.body.append(dialog);
    dialog.showModal();
  });
}

function theme() {
  const stored = localStorage.getItem("kite.theme");
  if (stored) document.documentElement.dataset.theme = stored;
  document.getElementById("theme").addEventListener("click", () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === "dark"
      : matchMedia("(prefers-color-scheme: dark)").matches;
    const next = dark ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("kite.theme", next);
  });
}

let asking = null;
whenUnauthorized(() => {
  asking = asking || askCredentials().finally(() => (asking = null));
  return asking;
});
theme();
window.addEventListener("hashchange", route);
route();
