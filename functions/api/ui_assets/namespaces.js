// A namespace's KV entries and files, viewable and editable.
import { api, request } from "./api.js";
import { date, errorMessage, h, replace, toast } from "./dom.js";

export async function namespacesPage(namespace) {
  const known = await api.get("/flows/distinct-namespaces");
  const choice = h(
    "select",
    { "aria-label": "Namespace", onchange: () => (location.hash = `#/namespaces/${encodeURIComponent(choice.value)}`) },
    h("option", { value: "" }, "choose a namespace"),
    [...new Set([...known, ...(namespace ? [namespace] : [])])].map((ns) => h("option", { value: ns, selected: ns === namespace }, ns)),
  );
  const other = h("input", { "aria-label": "Other namespace", placeholder: "or type one" });
  const head = h("div", { class: "toolbar" }, h("label", {}, "Namespace", choice), h("form", { onsubmit: (e) => { e.preventDefault(); location.hash = `#/namespaces/${encodeURIComponent(other.value)}`; } }, other));
  if (!namespace) return h("section", {}, h("h1", {}, "Namespaces"), head);
  return h("section", {}, h("h1", {}, "Namespace ", h("span", { class: "mono" }, namespace)), head, h("div", { class: "grid" }, await kvPanel(namespace), await filesPanel(namespace, "/")));
}

async function kvPanel(namespace) {
  const base = `/namespaces/${encodeURIComponent(namespace)}/kv`;
  const panel = h("div", { class: "panel" });
  const render = async () => {
    const entries = await api.get(base);
    const key = h("input", { name: "key", required: true, "aria-label": "Key" });
    const value = h("textarea", { name: "value", rows: 2, class: "mono", "aria-label": "Value (JSON or text)" });
    replace(
      panel,
      h("h2", {}, "KV store"),
      h(
        "table",
        { "aria-label": "KV entries" },
        h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "Value"), h("th", {}, "Updated"), h("th", {}, ""))),
        h(
          "tbody",
          {},
          entries.map((entry) => {
            const shown = h("td", { class: "mono" }, h("button", { type: "button", class: "ghost", onclick: async () => {
              const got = await api.get(`${base}/${encodeURIComponent(entry.key)}`);
              replace(shown, `${JSON.stringify(got.value)} (${got.type})`);
            } }, "Show"));
            return h("tr", {}, h("td", { class: "mono" }, entry.key), shown, h("td", {}, date(entry.updateDate)), h("td", {}, h("button", { type: "button", class: "ghost", onclick: async () => {
              await api.del(`${base}/${encodeURIComponent(entry.key)}`);
              render();
            } }, "Delete")));
          }),
        ),
      ),
      h(
        "form",
        { class: "stack", onsubmit: async (event) => {
          event.preventDefault();
          try {
            await request("PUT", `${base}/${encodeURIComponent(key.value)}`, { body: value.value });
            toast(`Saved ${key.value}`);
            render();
          } catch (error) {
            toast(errorMessage(error), "error");
          }
        } },
        h("label", {}, "Key", key),
        h("label", {}, "Value", h("small", {}, "JSON (a number, true, an object, a \"quoted string\") or text"), value),
        h("div", {}, h("button", { type: "submit" }, "Set")),
      ),
    );
  };
  await render();
  return panel;
}

async function filesPanel(namespace, folder) {
  const base = `/namespaces/${encodeURIComponent(namespace)}/files`;
  const panel = h("div", { class: "panel" });
  const editor = h("textarea", { class: "mono", rows: 12, "aria-label": "File content", hidden: true });
  const render = async (path) => {
    const entries = await api.get(`${base}/directory`, { path });
    const name = h("input", { "aria-label": "New file path", placeholder: `${path.replace(/\/?$/, "/")}new.txt` });
    let open = null;
    const save = h("button", { type: "button", hidden: true, onclick: async () => {
      const data = new FormData();
      data.append("fileContent", new Blob([editor.value]), open.split("/").pop());
      await request("POST", base, { body: data, query: { path: open } });
      toast(`Saved ${open}`);
    } }, "Save file");
    replace(
      panel,
      h("h2", {}, "Files ", h("small", { class: "muted mono" }, path)),
      path !== "/" ? h("button", { type: "button", class: "ghost", onclick: () => render(path.replace(/[^/]+\/?$/, "") || "/") }, "↑ Up") : null,
      h(
        "ul",
        { "aria-label": "Namespace files" },
        entries.map((entry) => {
          const full = `${path.replace(/\/?$/, "/")}${entry.fileName}`;
          return h("li", {}, entry.type === "Directory"
            ? h("button", { type: "button", class: "ghost", onclick: () => render(full) }, `${entry.fileName}/`)
            : h("button", { type: "button", class: "ghost", onclick: async () => {
                const response = await request("GET", base, { query: { path: full }, raw: true });
                editor.value = await response.text();
                editor.hidden = false;
                save.hidden = false;
                open = full;
              } }, entry.fileName), " ", h("small", { class: "muted" }, entry.type === "File" ? `${entry.size} B` : ""));
        }),
      ),
      editor,
      save,
      h("form", { class: "row", onsubmit: (event) => {
        event.preventDefault();
        open = name.value.startsWith("/") ? name.value : `${path.replace(/\/?$/, "/")}${name.value}`;
        editor.value = "";
        editor.hidden = false;
        save.hidden = false;
      } }, name, h("button", { type: "submit", class: "ghost" }, "New file")),
    );
  };
  await render(folder);
  return panel;
}
