// A flow's topology (Kestra's graph: nodes, edges, clusters), laid out left to right in layers, each
// flowable a dashed box around its children. With an execution, each task is coloured by its latest
// task run's state, and a task that ran several times (ForEach iterations) shows its runs counted by state.
import { svg } from "./dom.js";

const COLUMN = 190;
const ROW = 64;
const WIDTH = 160;
const HEIGHT = 42;
const PAD = 14;

function layers(graph) {
  const incoming = new Map(graph.nodes.map((n) => [n.uid, []]));
  const outgoing = new Map(graph.nodes.map((n) => [n.uid, []]));
  for (const edge of graph.edges) {
    if (!incoming.has(edge.target) || !outgoing.has(edge.source)) continue;
    incoming.get(edge.target).push(edge.source);
    outgoing.get(edge.source).push(edge.target);
  }
  const layer = new Map();
  const waiting = new Map([...incoming].map(([uid, from]) => [uid, from.length]));
  const ready = graph.nodes.filter((n) => waiting.get(n.uid) === 0).map((n) => n.uid);
  for (const uid of ready) layer.set(uid, 0);
  while (ready.length) {
    const uid = ready.shift();
    for (const next of outgoing.get(uid)) {
      layer.set(next, Math.max(layer.get(next) || 0, layer.get(uid) + 1));
      waiting.set(next, waiting.get(next) - 1);
      if (waiting.get(next) === 0) ready.push(next);
    }
  }
  for (const node of graph.nodes) if (!layer.has(node.uid)) layer.set(node.uid, 0); // a cycle: never in Kestra
  return layer;
}

export function topology(graph, { counts = {}, onSelect } = {}) {
  const layer = layers(graph);
  const rows = new Map();
  const position = new Map();
  // A column of cluster roots and ends only (dots) is narrow: the tasks stay close together.
  const last = Math.max(0, ...layer.values());
  const wide = new Set(graph.nodes.filter((n) => !/GraphCluster(Root|End)$/.test(n.type)).map((n) => layer.get(n.uid)));
  const left = [PAD * 3];
  for (let column = 0; column <= last; column++) left.push(left[column] + (wide.has(column) ? COLUMN : 44));
  for (const node of graph.nodes) {
    const column = layer.get(node.uid);
    const row = rows.get(column) || 0;
    rows.set(column, row + 1);
    position.set(node.uid, { x: left[column], y: PAD * 3 + row * ROW });
  }
  const width = PAD * 3 + left[last + 1];
  const height = PAD * 6 + Math.max(1, ...rows.values()) * ROW;
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Topology" });
  root.append(
    svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "dot" }))),
  );
  const clusters = [...graph.clusters].sort((a, b) => a.cluster.uid.split(".").length - b.cluster.uid.split(".").length);
  for (const { cluster } of clusters) {
    if (cluster.uid === "root") continue;
    const inside = graph.nodes.filter((n) => n.uid.startsWith(`${cluster.uid}.`)).map((n) => position.get(n.uid));
    if (!inside.length) continue;
    const depth = cluster.uid.split(".").length;
    const pad = Math.max(4, 16 - depth * 2);
    const x = Math.min(...inside.map((p) => p.x)) - pad;
    const y = Math.min(...inside.map((p) => p.y)) - pad - 8;
    const right = Math.max(...inside.map((p) => p.x)) + WIDTH + pad;
    const bottom = Math.max(...inside.map((p) => p.y)) + HEIGHT + pad;
    const name = cluster.uid.split(".").pop();
    root.append(svg("g", { class: "cluster" }, svg("rect", { x, y, width: right - x, height: bottom - y, rx: 8 }), svg("text", { x: x + 6, y: y + 11 }, document.createTextNode(name))));
  }
  for (const edge of graph.edges) {
    const from = position.get(edge.source);
    const to = position.get(edge.target);
    if (!from || !to) continue;
    const a = { x: from.x + (isDot(graph, edge.source) ? 8 : WIDTH), y: from.y + HEIGHT / 2 };
    const b = { x: to.x, y: to.y + HEIGHT / 2 };
    const bend = Math.max(20, (b.x - a.x) / 2);
    root.append(svg("path", { class: "edge", d: `M ${a.x} ${a.y} C ${a.x + bend} ${a.y}, ${b.x - bend} ${b.y}, ${b.x} ${b.y}` }));
  }
  for (const node of graph.nodes) root.append(drawNode(node, position.get(node.uid), counts, onSelect));
  return root;
}

function isDot(graph, uid) {
  const node = graph.nodes.find((n) => n.uid === uid);
  return node && /GraphCluster(Root|End)$/.test(node.type);
}

function drawNode(node, at, counts, onSelect) {
  if (/GraphCluster(Root|End)$/.test(node.type)) {
    return svg("circle", { class: "dot", cx: at.x + 4, cy: at.y + HEIGHT / 2, r: 4 });
  }
  const task = node.task || node.triggerDeclaration || {};
  const id = task.id || node.uid.split(".").pop();
  const kind = (task.type || "").split(".").pop();
  const run = node.taskRun;
  const state = run && run.state ? run.state.current : null;
  const group = svg("g", { class: `task${state ? ` s-${state.toLowerCase()}` : ""}`, tabindex: 0, "data-task": id, "data-state": state || "" });
  const title = svg("title");
  title.textContent = `${id} (${task.type || node.type})${state ? ` — ${state}` : ""}`;
  group.append(
    title,
    svg("rect", { x: at.x, y: at.y, width: WIDTH, height: HEIGHT }),
    text(at.x + 8, at.y + 17, clip(id, 20)),
    text(at.x + 8, at.y + 33, clip(kind, 24), "kind"),
  );
  const counted = counts[id];
  if (counted && Object.values(counted).reduce((a, b) => a + b, 0) > 1) {
    const summary = Object.entries(counted).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(" · ");
    group.append(text(at.x + 8, at.y + HEIGHT + 11, clip(summary, 30), "count"));
  }
  if (onSelect) {
    const choose = () => onSelect(id, node);
    group.addEventListener("click", choose);
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") choose();
    });
  }
  return group;
}

function text(x, y, content, cls) {
  const element = svg("text", { x, y, class: cls });
  element.textContent = content;
  return element;
}

function clip(value, length) {
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}
