// Flows by namespace, with their triggers and their last execution.
import { api } from "./api.js";
import { date, h, replace, stateBadge } from "./dom.js";

export async function flowsPage() {
  const namespaces = await api.get("/flows/distinct-namespaces");
  const chosen = new URLSearchParams(location.hash.split("?")[1] || "").get("namespace") || "";
  const select = h(
    "select",
    { "aria-label": "Namespace", onchange: () => (location.hash = `#/flows?namespace=${encodeURIComponent(select.value)}`) },
    h("option", { value: "" }, "every namespace"),
    namespaces.map((ns) => h("option", { value: ns, selected: ns === chosen }, ns)),
  );
  const table = h("tbody");
  const result = await api.get("/flows/search", { namespace: chosen, size: 500 });
  replace(table, result.results.length ? [] : h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No flow yet: create one.")));
  const lastCells = new Map();
  for (const flow of result.results) {
    const last = h("td", { class: "muted" }, "…");
    lastCells.set(`${flow.namespace}/${flow.id}`, last);
    table.append(
      h(
        "tr",
        {},
        h("td", {}, flow.namespace),
        h("td", {}, h("a", { href: `#/flows/${encodeURIComponent(flow.namespace)}/${encodeURIComponent(flow.id)}` }, flow.id)),
        h("td", {}, (flow.triggers || []).map((t) => h("span", { class: "label" }, `${t.id} (${t.type.split(".").pop()})`))),
        h("td", {}, flow.disabled ? "disabled" : ""),
        last,
      ),
    );
  }
  // One request for every flow's last execution, each one item read (not a search per flow).
  if (result.results.length) {
    api.post("/executions/latest", { json: result.results.map((f) => ({ namespace: f.namespace, id: f.id })) }).then((found) => {
      for (const execution of found) {
        const cell = lastCells.get(`${execution.namespace}/${execution.flowId}`);
        replace(cell, h("a", { href: `#/executions/${encodeURIComponent(execution.id)}` }, stateBadge(execution.status), " ", date(execution.startDate)));
        lastCells.delete(`${execution.namespace}/${execution.flowId}`);
      }
      for (const cell of lastCells.values()) replace(cell, "never run");
    }).catch(() => lastCells.forEach((cell) => replace(cell, "—")));
  }
  return h(
    "section",
    {},
    h("h1", {}, "Flows", h("span", { class: "spacer" }), h("a", { class: "button", href: "#/flows/new" }, "New flow")),
    h("div", { class: "toolbar" }, h("label", {}, "Namespace", select)),
    h("div", { class: "panel" }, h("table", { "aria-label": "Flows" }, h("thead", {}, h("tr", {}, ["Namespace", "Flow", "Triggers", "", "Last execution"].map((t) => h("th", { scope: "col" }, t)))), table)),
  );
}
