// Two texts line by line (a longest common subsequence): what a revision changed.
import { h } from "./dom.js";

export function lineDiff(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  const table = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const lines = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push([" ", a[i++]]);
      j++;
    } else if (j < b.length && (i >= a.length || table[i][j + 1] >= table[i + 1][j])) {
      lines.push(["+", b[j++]]);
    } else {
      lines.push(["-", a[i++]]);
    }
  }
  return lines;
}

export function diffView(before, after) {
  return h(
    "div",
    { class: "diff", role: "region", "aria-label": "Differences" },
    lineDiff(before, after).map(([mark, text]) => h("div", { class: mark === "+" ? "add" : mark === "-" ? "del" : "" }, `${mark} ${text}`)),
  );
}
