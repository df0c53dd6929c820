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
  for (const flow of result.results) {
    const last = h("td", { class: "muted" }, "…");
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
    api.get("/executions/search", { namespace: flow.namespace, flowId: flow.id, size: 1 }).then((found) => {
      const execution = found.results[0];
      replace(last, execution ? h("a", { href: `#/executions/${encodeURIComponent(execution.id)}` }, stateBadge(execution.state.current), " ", date(execution.state.startDate)) : "never run");
    }).catch(() => replace(last, "—"));
  }
  return h(
    "section",
    {},
    h("h1", {}, "Flows", h("span", { class: "spacer" }), h("a", { class: "button", href: "#/flows/new" }, "New flow")),
    h("div", { class: "toolbar" }, h("label", {}, "Namespace", select)),
    h("div", { class: "panel" }, h("table", { "aria-label": "Flows" }, h("thead", {}, h("tr", {}, ["Namespace", "Flow", "Triggers", "", "Last execution"].map((t) => h("th", { scope: "col" }, t)))), table)),
  );
}
