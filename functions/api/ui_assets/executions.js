// The executions list: filters in the URL (so a view can be shared), pages of 25, refreshed while open.
import { api } from "./api.js";
import { date, duration, every, h, replace, seconds, stateBadge } from "./dom.js";

const STATES = ["CREATED", "QUEUED", "RUNNING", "PAUSED", "RETRYING", "KILLING", "SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"];

function params() {
  return new URLSearchParams(location.hash.split("?")[1] || "");
}

export async function executionsPage() {
  const current = params();
  const fields = {
    namespace: h("input", { name: "namespace", value: current.get("namespace") || "", placeholder: "any" }),
    flowId: h("input", { name: "flowId", value: current.get("flowId") || "", placeholder: "any" }),
    state: h("select", { name: "state" }, h("option", { value: "" }, "any"), STATES.map((s) => h("option", { value: s, selected: current.get("state") === s }, s))),
    labels: h("input", { name: "labels", value: current.get("labels") || "", placeholder: "key:value" }),
    startDate: h("input", { name: "startDate", type: "datetime-local", value: current.get("startDate") || "" }),
    endDate: h("input", { name: "endDate", type: "datetime-local", value: current.get("endDate") || "" }),
  };
  const page = Number(current.get("page") || 1);
  const apply = (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, input] of Object.entries(fields)) if (input.value) next.set(key, input.value);
    location.hash = `#/executions?${next}`;
  };
  const filters = h(
    "form",
    { class: "toolbar", onsubmit: apply, "aria-label": "Filters" },
    Object.entries({ Namespace: "namespace", Flow: "flowId", State: "state", Label: "labels", From: "startDate", To: "endDate" }).map(
      ([text, key]) => h("label", {}, text, fields[key]),
    ),
    h("button", { type: "submit" }, "Filter"),
  );
  const table = h("div", { class: "panel" });
  const load = async () => {
    const query = { page, size: 25, namespace: fields.namespace.value, flowId: fields.flowId.value, state: fields.state.value };
    if (fields.labels.value) query.labels = fields.labels.value;
    for (const key of ["startDate", "endDate"]) {
      if (fields[key].value) query[key] = new Date(fields[key].value).toISOString();
    }
    const result = await api.get("/executions/search", query);
    replace(table, listing(result, page, current));
  };
  await load();
  const section = h("section", {}, h("h1", {}, "Executions"), filters, table);
  // Every 10 s, as Kestra's list refreshes: a search without a flow scans every execution's header.
  every(section, 10_000, () => load().catch(() => {}));
  return section;
}

function listing(result, page, current) {
  const rows = result.results.map((execution) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `#/executions/${encodeURIComponent(execution.id)}`, class: "mono" }, execution.id)),
      h("td", {}, execution.namespace),
      h("td", {}, h("a", { href: `#/flows/${encodeURIComponent(execution.namespace)}/${encodeURIComponent(execution.flowId)}` }, execution.flowId)),
      h("td", {}, stateBadge(execution.state.current)),
      h("td", {}, date(execution.state.startDate)),
      h("td", {}, duration(seconds(execution.state.startDate, execution.state.endDate))),
      h("td", {}, h("div", { class: "labels" }, (execution.labels || []).map((l) => h("span", { class: "label" }, `${l.key}:${l.value}`)))),
    ),
  );
  const pages = Math.max(1, Math.ceil(result.total / 25));
  const to = (n) => {
    const next = new URLSearchParams(current);
    next.set("page", n);
    return `#/executions?${next}`;
  };
  return [
    h(
      "table",
      { "aria-label": "Executions" },
      h("thead", {}, h("tr", {}, ["Id", "Namespace", "Flow", "State", "Started", "Duration", "Labels"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No execution matches."))),
    ),
    h(
      "div",
      { class: "pager" },
      page > 1 ? h("a", { href: to(page - 1) }, "← Newer") : null,
      h("span", { class: "muted" }, `Page ${page} of ${pages} · ${result.total} executions`),
      page < pages ? h("a", { href: to(page + 1) }, "Older →") : null,
    ),
  ];
}
