// One execution: what it is (state, inputs, outputs, labels), its topology, its task runs over time, its
// logs; and what can be done to it (kill, pause, resume with the onResume form, restart, replay, set a task
// run's state). While it runs, the page follows it.
import { api } from "./api.js";
import { TERMINAL, date, duration, errorMessage, every, h, replace, seconds, stateBadge, toast, valueTree } from "./dom.js";
import { gantt } from "./gantt.js";
import { inputsForm } from "./inputs-form.js";
import { topology } from "./topology.js";

const TABS = ["Overview", "Topology", "Gantt", "Logs", "Outputs"];
const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

export async function executionPage(id) {
  const path = `/executions/${encodeURIComponent(id)}`;
  let execution = await api.get(path);
  const header = h("div");
  const actions = h("div", { class: "row" });
  const body = h("div", { class: "panel" });
  const tablist = h("div", { class: "tabs", role: "tablist" });
  let tab = new URLSearchParams(location.hash.split("?")[1] || "").get("tab") || "Overview";
  const fileLink = (uri) => fileLinkOf(id, uri);
  const level = h("select", { "aria-label": "Minimum level" }, LEVELS.map((l) => h("option", { value: l, selected: l === "INFO" }, l)));

  const views = {
    Overview: () => overview(execution, fileLink),
    Topology: async () => {
      const graph = await api.get(`${path}/graph`);
      return h("div", { class: "topology" }, topology(graph, { counts: counts(execution) }));
    },
    Gantt: () => gantt(execution),
    Logs: async () => logs(await api.get(`/logs/${encodeURIComponent(id)}`, { minLevel: level.value }), level, () => show(tab)),
    Outputs: () => outputs(execution, fileLink),
  };
  const show = async (name) => {
    tab = name;
    for (const button of tablist.children) button.setAttribute("aria-selected", String(button.dataset.tab === name));
    replace(body, await views[name]());
  };
  for (const name of TABS) {
    tablist.append(h("button", { type: "button", role: "tab", dataset: { tab: name }, onclick: () => show(name) }, name));
  }
  tablist.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const index = TABS.indexOf(tab) + (event.key === "ArrowRight" ? 1 : -1);
    const next = TABS[(index + TABS.length) % TABS.length];
    show(next).then(() => tablist.querySelector(`[data-tab="${next}"]`).focus());
  });

  const refresh = async () => {
    execution = await api.get(path);
    renderHeader();
    await show(tab);
  };
  const renderHeader = () => {
    replace(
      header,
      h(
        "h1",
        {},
        h("span", { class: "mono" }, execution.id),
        h("span", { id: "execution-state" }, stateBadge(execution.state.current)),
        h("small", { class: "muted" }, h("a", { href: `#/flows/${encodeURIComponent(execution.namespace)}/${encodeURIComponent(execution.flowId)}` }, `${execution.namespace}.${execution.flowId}`), ` rev ${execution.flowRevision}`),
      ),
      h("p", { class: "muted" }, `Started ${date(execution.state.startDate)} · ${duration(seconds(execution.state.startDate, execution.state.endDate))}`),
    );
    replace(actions, actionButtons(execution, path, refresh));
  };
  renderHeader();
  await show(TABS.includes(tab) ? tab : "Overview");
  const page = h("section", {}, header, actions, tablist, body);
  // While it runs, follow it; a large execution is fetched less often (twice its fetch time apart), and
  // never twice at once.
  let busy = false;
  let next = 0;
  every(page, 500, async () => {
    if (busy || Date.now() < next || TERMINAL.has(execution.state.current)) return;
    busy = true;
    const started = Date.now();
    try {
      await refresh();
    } catch {
      // the next round tries again
    } finally {
      busy = false;
      next = Date.now() + Math.max(1500, 2 * (Date.now() - started));
    }
  });
  return page;
}

function counts(execution) {
  const result = {};
  for (const run of execution.taskRunList || []) {
    const byState = (result[run.taskId] = result[run.taskId] || {});
    byState[run.state.current] = (byState[run.state.current] || 0) + 1;
  }
  return result;
}

function overview(execution, fileLink) {
  return h(
    "div",
    { class: "grid" },
    h("div", {}, h("h2", {}, "Inputs"), valueTree(execution.inputs || {}, fileLink)),
    h("div", {}, h("h2", {}, "Outputs"), valueTree(execution.outputs || {}, fileLink)),
    h("div", {}, h("h2", {}, "Labels"), h("div", { class: "labels" }, (execution.labels || []).map((l) => h("span", { class: "label" }, `${l.key}:${l.value}`)))),
    h("div", {}, h("h2", {}, "Trigger"), valueTree(execution.trigger || null, fileLink)),
    h(
      "div",
      {},
      h("h2", {}, "State history"),
      h("ol", {}, execution.state.histories.map((item) => h("li", {}, stateBadge(item.state), " ", date(item.date)))),
    ),
  );
}

function outputs(execution, fileLink) {
  const runs = (execution.taskRunList || []).filter((run) => run.outputs && Object.keys(run.outputs).length);
  if (!runs.length) return h("p", { class: "muted" }, "No task run has outputs.");
  return h(
    "table",
    { "aria-label": "Task run outputs" },
    h("thead", {}, h("tr", {}, h("th", {}, "Task"), h("th", {}, "Value"), h("th", {}, "Outputs"))),
    h("tbody", {}, runs.slice(0, 500).map((run) => h("tr", { dataset: { task: run.taskId } }, h("td", {}, run.taskId), h("td", {}, run.value || ""), h("td", {}, valueTree(run.outputs, fileLink))))),
  );
}

function logs(entries, level, reload) {
  level.onchange = reload;
  const list = h(
    "div",
    { class: "logs", role: "log", "aria-label": "Logs" },
    entries.length
      ? entries.map((entry) =>
          h(
            "div",
            { class: "log" },
            h("span", { class: "muted" }, new Date(entry.timestamp).toLocaleTimeString()),
            h("span", { class: `level-${entry.level}` }, entry.level),
            h("span", { class: "muted" }, entry.taskId || "execution"),
            h("span", { class: "message" }, entry.message),
          ),
        )
      : h("p", { class: "muted" }, "No log line at this level."),
  );
  return [h("div", { class: "toolbar" }, h("label", {}, "Level", level)), list];
}

function fileLinkOf(executionId, uri) {
  const name = uri.split("/").pop();
  const preview = h("pre", { hidden: true });
  return h(
    "span",
    { class: "file" },
    h("a", { href: api.fileUrl(executionId, uri), download: name }, name),
    " ",
    h(
      "button",
      {
        type: "button",
        class: "ghost",
        onclick: async () => {
          if (!preview.hidden) {
            preview.hidden = true;
            return;
          }
          // The server's preview (its first lines, never the whole of a large file).
          const render = await api.get(`/executions/${encodeURIComponent(executionId)}/file/preview`, { path: uri });
          const more = render.truncated ? "\n…" : "";
          if (render.type === "IMAGE") {
            const type = render.extension.toLowerCase() === "svg" ? "svg+xml" : render.extension.toLowerCase();
            replace(preview, h("img", { src: `data:image/${type};base64,${render.content}`, alt: name }));
          } else if (render.type === "LIST") {
            preview.textContent = render.content.map((row) => JSON.stringify(row)).join("\n") + more;
          } else if (render.type === "PDF") {
            preview.textContent = "A PDF: download it to read it.";
          } else {
            preview.textContent = render.content + more;
          }
          preview.hidden = false;
        },
      },
      "Preview",
    ),
    preview,
  );
}

function actionButtons(execution, path, refresh) {
  const state = execution.state.current;
  const run = (label, action, { danger, confirmText } = {}) =>
    h(
      "button",
      {
        type: "button",
        class: danger ? "danger" : "ghost",
        onclick: async () => {
          if (confirmText && !confirm(confirmText)) return;
          try {
            await action();
            toast(`${label}: done`);
            await refresh();
          } catch (error) {
            toast(`${label}: ${errorMessage(error)}`, "error");
          }
        },
      },
      label,
    );
  const buttons = [];
  if (!TERMINAL.has(state)) buttons.push(run("Kill", () => api.del(`${path}/kill`), { danger: true }));
  if (state === "RUNNING") buttons.push(run("Pause", () => api.post(`${path}/pause`)));
  if (state === "PAUSED") buttons.push(h("button", { type: "button", onclick: () => resumeDialog(execution, path, refresh) }, "Resume"));
  if (["FAILED", "KILLED", "WARNING"].includes(state)) buttons.push(run("Restart", () => api.post(`${path}/restart`)));
  if (TERMINAL.has(state)) {
    buttons.push(h("button", { type: "button", class: "ghost", onclick: () => taskRunDialog(execution, "Replay from a task run", async (taskRunId) => {
      const replayed = await api.post(`${path}/replay`, { query: { taskRunId } });
      location.hash = `#/executions/${encodeURIComponent(replayed.id)}`;
    }) }, "Replay…"));
    buttons.push(h("button", { type: "button", class: "ghost", onclick: () => taskRunDialog(execution, "Set a task run's state", async (taskRunId, newState) => {
      await api.post(`${path}/state`, { json: { taskRunId, state: newState } });
      await refresh();
    }, true) }, "Change state…"));
  }
  return buttons;
}

async function resumeDialog(execution, path, refresh) {
  const flow = await api.get(`/flows/${encodeURIComponent(execution.namespace)}/${encodeURIComponent(execution.flowId)}`, { revision: execution.flowRevision });
  const paused = (execution.taskRunList || []).filter((run) => run.state.current === "PAUSED").map((run) => run.taskId);
  const declared = paused.map((id) => findTask(flow.tasks || [], id)).find((task) => task && task.onResume);
  const dialog = h("dialog", { "aria-label": "Resume" });
  const form = inputsForm(declared ? declared.onResume : [], {
    submitLabel: "Resume",
    onSubmit: async (data) => {
      await api.post(`${path}/resume`, { body: data });
      dialog.close();
      dialog.remove();
      toast("Resumed");
      await refresh();
    },
  });
  dialog.append(h("h2", {}, "Resume"), form, h("button", { type: "button", class: "ghost", onclick: () => dialog.remove() }, "Cancel"));
  document.body.append(dialog);
  dialog.showModal();
}

function findTask(tasks, id) {
  for (const task of tasks) {
    if (task.id === id) return task;
    for (const key of ["tasks", "then", "else", "errors", "finally", "defaults"]) {
      const found = Array.isArray(task[key]) ? findTask(task[key], id) : null;
      if (found) return found;
    }
    if (task.cases) {
      for (const list of Object.values(task.cases)) {
        const found = findTask(list, id);
        if (found) return found;
      }
    }
  }
  return null;
}

function taskRunDialog(execution, title, action, withState = false) {
  const runs = (execution.taskRunList || []).slice(0, 2000);
  const choice = h("select", { name: "taskRun" }, runs.map((run) => h("option", { value: run.id }, `${run.taskId}${run.value ? ` [${run.value}]` : ""} — ${run.state.current}`)));
  const state = h("select", { name: "state" }, ["SUCCESS", "FAILED", "WARNING"].map((s) => h("option", { value: s }, s)));
  const dialog = h("dialog", { "aria-label": title });
  dialog.append(
    h(
      "form",
      {
        method: "dialog",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            await action(choice.value, state.value);
            dialog.remove();
          } catch (error) {
            toast(errorMessage(error), "error");
          }
        },
      },
      h("h2", {}, title),
      h("label", {}, "Task run", choice),
      withState ? h("label", {}, "State", state) : null,
      h("div", { class: "row" }, h("button", { type: "submit" }, "Apply"), h("button", { type: "button", class: "ghost", onclick: () => dialog.remove() }, "Cancel")),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
}

