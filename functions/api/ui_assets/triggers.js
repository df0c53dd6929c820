// Triggers: each flow's triggers with their next date; enable, disable, and backfill a schedule.
import { api } from "./api.js";
import { date, errorMessage, h, replace, toast } from "./dom.js";

export async function triggersPage() {
  const body = h("tbody");
  const render = async () => {
    const found = await api.get("/triggers/search", { size: 500 });
    replace(body, found.results.length ? [] : h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No trigger.")));
    for (const item of found.results) {
      const context = item.triggerContext || item;
      const trigger = item.abstractTrigger || {};
      const disabled = Boolean(context.disabled);
      const toggle = h("button", { type: "button", class: "ghost", onclick: () => update({ ...context, disabled: !disabled }) }, disabled ? "Enable" : "Disable");
      const start = h("input", { type: "datetime-local", "aria-label": "Backfill from" });
      const end = h("input", { type: "datetime-local", "aria-label": "Backfill to" });
      const backfill = h("form", { class: "row", onsubmit: (event) => {
        event.preventDefault();
        update({ ...context, backfill: { start: new Date(start.value).toISOString(), end: end.value ? new Date(end.value).toISOString() : null } });
      } }, start, end, h("button", { type: "submit", class: "ghost" }, "Backfill"));
      body.append(
        h(
          "tr",
          {},
          h("td", {}, context.namespace),
          h("td", {}, h("a", { href: `#/flows/${encodeURIComponent(context.namespace)}/${encodeURIComponent(context.flowId)}` }, context.flowId)),
          h("td", {}, context.triggerId, " ", h("small", { class: "muted" }, (trigger.type || "").split(".").pop())),
          h("td", {}, date(context.nextExecutionDate)),
          h("td", {}, disabled ? "disabled" : "enabled", context.backfill ? " · backfilling" : ""),
          h("td", {}, h("div", { class: "row" }, toggle, (trigger.type || "").includes("Schedule") ? backfill : null)),
        ),
      );
    }
  };
  const update = async (context) => {
    try {
      await api.put("/triggers", { json: context });
      toast("Trigger updated");
      await render();
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };
  await render();
  return h(
    "section",
    {},
    h("h1", {}, "Triggers"),
    h("div", { class: "panel" }, h("table", { "aria-label": "Triggers" }, h("thead", {}, h("tr", {}, ["Namespace", "Flow", "Trigger", "Next date", "Status", ""].map((t) => h("th", { scope: "col" }, t)))), body)),
  );
}
