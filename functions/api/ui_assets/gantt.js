// Task runs on a time line: one row per task run, its attempts as segments, paged so that an execution of
// 10,000 task runs stays responsive.
import { duration, h, seconds } from "./dom.js";

const PAGE = 200;

export function gantt(execution, { onSelect } = {}) {
  const runs = execution.taskRunList || [];
  const start = new Date(execution.state.startDate).getTime();
  const end = execution.state.endDate ? new Date(execution.state.endDate).getTime() : Date.now();
  const span = Math.max(1, end - start);
  const container = h("div");
  let shown = 0;
  const grid = h("div", { class: "gantt", role: "table", "aria-label": "Task runs over time" });
  const more = h("button", { type: "button", class: "ghost" }, "Show more");
  const render = () => {
    for (const run of runs.slice(shown, shown + PAGE)) grid.append(...row(run, start, span, onSelect));
    shown = Math.min(runs.length, shown + PAGE);
    more.hidden = shown >= runs.length;
    more.textContent = `Show more (${runs.length - shown} left)`;
  };
  more.addEventListener("click", render);
  render();
  container.append(grid, more);
  return container;
}

function row(run, start, span, onSelect) {
  const first = run.state.histories.length ? run.state.histories[0].date : run.state.startDate;
  const label = run.value ? `${run.taskId} [${run.value}]` : run.taskId;
  const track = h("div", { class: "bar-track", role: "cell" });
  const attempts = run.attempts && run.attempts.length ? run.attempts : [{ state: run.state }];
  for (const attempt of attempts) {
    const history = attempt.state.histories || [];
    const from = new Date(history.length ? history[0].date : first).getTime();
    const to = attempt.state.endDate ? new Date(attempt.state.endDate).getTime() : Date.now();
    const bar = h("div", {
      class: `bar s-${(attempt.state.current || "").toLowerCase()}`,
      title: `${label}: ${attempt.state.current}`,
      style: { left: `${((from - start) / span) * 100}%`, width: `${(Math.max(0, to - from) / span) * 100}%` },
    });
    track.append(bar);
  }
  const name = h(
    "div",
    { class: "name", role: "rowheader", style: { paddingLeft: `${(run.valuePath || []).length * 10}px` } },
    onSelect ? h("a", { href: "#", onclick: (event) => { event.preventDefault(); onSelect(run); } }, label) : label,
  );
  return [name, track, h("div", { class: "muted", role: "cell" }, duration(seconds(first, run.state.endDate)))];
}
