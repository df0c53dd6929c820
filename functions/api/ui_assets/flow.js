// One flow: its YAML in an editor that validates as you type (Kite's own validation, each problem at its
// line), saved as a new revision; its revisions and what each changed; its topology; and a form, made
// from its typed inputs, that starts an execution.
import { api } from "./api.js";
import { diffView } from "./diff.js";
import { errorMessage, h, replace, toast } from "./dom.js";
import { inputsForm } from "./inputs-form.js";
import { topology } from "./topology.js";

const NEW_FLOW = `id: hello
namespace: company.team

inputs:
  - id: user
    type: STRING
    defaults: Kite

tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.user }}!"
`;

const TABS = ["Editor", "Topology", "Revisions", "Run"];

export async function flowPage(namespace, id) {
  let flow = namespace ? await api.get(`/flows/${encodeURIComponent(namespace)}/${encodeURIComponent(id)}`) : null;
  const body = h("div", { class: "panel" });
  const tablist = h("div", { class: "tabs", role: "tablist" });
  const title = h("h1");
  const editor = yamlEditor(flow ? flow.source : NEW_FLOW, async (source) => {
    const saved = flow
      ? await api.put(`/flows/${encodeURIComponent(flow.namespace)}/${encodeURIComponent(flow.id)}`, { body: source })
      : await api.post("/flows", { body: source });
    toast(`Saved revision ${saved.revision}`);
    if (!flow || saved.id !== flow.id || saved.namespace !== flow.namespace) {
      location.hash = `#/flows/${encodeURIComponent(saved.namespace)}/${encodeURIComponent(saved.id)}`;
      return;
    }
    flow = await api.get(`/flows/${encodeURIComponent(saved.namespace)}/${encodeURIComponent(saved.id)}`);
    renderTitle();
  });
  const renderTitle = () =>
    replace(title, flow ? [h("span", {}, `${flow.namespace}.${flow.id}`), h("small", { class: "muted" }, `revision ${flow.revision}`)] : "New flow");
  const views = {
    Editor: () => editor.element,
    Topology: async () => {
      try {
        const graph = await api.post("/flows/graph", { body: editor.value() });
        return h("div", { class: "topology" }, topology(graph));
      } catch (error) {
        return h("p", { class: "field-error" }, errorMessage(error));
      }
    },
    Revisions: () => revisions(flow),
    Run: () => runForm(flow),
  };
  const show = async (name) => {
    for (const button of tablist.children) button.setAttribute("aria-selected", String(button.dataset.tab === name));
    replace(body, await views[name]());
  };
  for (const name of TABS) {
    const disabled = !flow && name !== "Editor" && name !== "Topology";
    tablist.append(h("button", { type: "button", role: "tab", disabled, dataset: { tab: name }, onclick: () => show(name) }, name));
  }
  renderTitle();
  const wanted = new URLSearchParams(location.hash.split("?")[1] || "").get("tab");
  await show(TABS.includes(wanted) && flow ? wanted : "Editor");
  return h("section", {}, title, tablist, body);
}

function yamlEditor(initial, save) {
  const area = h("textarea", { spellcheck: "false", "aria-label": "Flow YAML", wrap: "off", class: "mono" });
  area.value = initial;
  const gutter = h("div", { class: "gutter", "aria-hidden": "true" });
  const problems = h("ul", { class: "problems", "aria-live": "polite" });
  const saveButton = h("button", { type: "button" }, "Save");
  let bad = new Set();
  let timer = null;
  const lines = () => {
    const count = area.value.split("\n").length;
    area.rows = count + 1;
    replace(gutter, Array.from({ length: count }, (_, i) => h("div", { class: bad.has(i + 1) ? "bad" : "" }, String(i + 1))));
  };
  const validate = async () => {
    try {
      const [result] = await api.post("/flows/validate", { body: area.value });
      const found = result && result.constraints ? result.constraints.split("\n") : [];
      bad = new Set();
      replace(
        problems,
        found.map((line) => {
          const match = line.match(/^[^:]*:(\d+):(\d+): (.*)$/);
          if (match) bad.add(Number(match[1]));
          return h("li", {}, match ? `Line ${match[1]}, column ${match[2]}: ${match[3]}` : line);
        }),
      );
      saveButton.disabled = found.length > 0;
    } catch (error) {
      replace(problems, h("li", {}, errorMessage(error)));
    }
    lines();
  };
  area.addEventListener("input", () => {
    lines();
    clearTimeout(timer);
    timer = setTimeout(validate, 300);
  });
  area.addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey) {
      // Two spaces, as YAML wants; Escape then Tab leaves the editor (keyboard users are not trapped).
      if (area.dataset.escaped) return;
      event.preventDefault();
      area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    } else if (event.key === "Escape") {
      area.dataset.escaped = "1";
    } else {
      delete area.dataset.escaped;
    }
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      saveButton.click();
    }
  });
  saveButton.addEventListener("click", async () => {
    try {
      await save(area.value);
    } catch (error) {
      toast(`Not saved: ${errorMessage(error)}`, "error");
    }
  });
  lines();
  validate();
  return {
    value: () => area.value,
    element: h("div", {}, h("div", { class: "editor" }, gutter, area), problems, h("div", { class: "row", style: { marginTop: "8px" } }, saveButton, h("small", { class: "muted" }, "Ctrl+S saves a new revision"))),
  };
}

async function revisions(flow) {
  const all = await api.get(`/flows/${encodeURIComponent(flow.namespace)}/${encodeURIComponent(flow.id)}/revisions`);
  const before = h("select", { "aria-label": "From revision" }, all.map((r) => h("option", { value: r.revision, selected: r.revision === Math.max(1, flow.revision - 1) }, `revision ${r.revision}`)));
  const after = h("select", { "aria-label": "To revision" }, all.map((r) => h("option", { value: r.revision, selected: r.revision === flow.revision }, `revision ${r.revision}`)));
  const view = h("div");
  const render = () => {
    const source = (n) => (all.find((r) => String(r.revision) === String(n)) || {}).source || "";
    replace(view, diffView(source(before.value), source(after.value)));
  };
  before.onchange = after.onchange = render;
  render();
  return h("div", {}, h("div", { class: "toolbar" }, h("label", {}, "From", before), h("label", {}, "To", after)), view);
}

function runForm(flow) {
  return h(
    "div",
    {},
    h("h2", {}, "Run this flow"),
    inputsForm(flow.inputs || [], {
      submitLabel: "Run",
      validate: (data) => api.post(`/executions/${encodeURIComponent(flow.namespace)}/${encodeURIComponent(flow.id)}/validate`, { body: data }),
      onSubmit: async (data) => {
        const execution = await api.post(`/executions/${encodeURIComponent(flow.namespace)}/${encodeURIComponent(flow.id)}`, { body: data });
        location.hash = `#/executions/${encodeURIComponent(execution.id)}`;
      },
    }),
  );
}
