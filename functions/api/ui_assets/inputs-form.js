// A form generated from typed inputs (a flow's `inputs`, a Pause's `onResume`): one field per input, of
// the input's type, with its default. With `validate` (the API's check of a run form), an input shows only
// while its `dependsOn` holds; without, once what it depends on has a value. The API's messages go next to
// the field they name.
import { h } from "./dom.js";

const TEXT_TYPES = { STRING: "text", EMAIL: "email", URI: "url", SECRET: "password", DATE: "date", TIME: "time" };

function field(input) {
  const name = input.id;
  const initial = input.defaults ?? input.prefill ?? "";
  const required = input.required !== false && input.defaults === undefined;
  const common = { name, id: `input-${name}`, "aria-describedby": `error-${name}` };
  switch (input.type) {
    case "INT":
    case "FLOAT":
      return h("input", { ...common, type: "number", step: input.type === "INT" ? "1" : "any", value: initial, required, min: input.min, max: input.max });
    case "BOOLEAN":
    case "BOOL":
      return h("input", { ...common, type: "checkbox", checked: initial === true || initial === "true" });
    case "SELECT":
    case "ENUM":
      return h("select", { ...common, required }, required ? null : h("option", { value: "" }, "—"), (input.values || input.options || []).map((v) => h("option", { value: v, selected: String(v) === String(initial) }, v)));
    case "MULTISELECT":
      return h("select", { ...common, multiple: true, required }, (input.values || input.options || []).map((v) => h("option", { value: v, selected: Array.isArray(initial) && initial.includes(v) }, v)));
    case "DATETIME":
      return h("input", { ...common, type: "datetime-local", step: "1", value: typeof initial === "string" ? initial.replace(/Z$/, "").slice(0, 19) : "", required });
    case "FILE":
      return h("input", { ...common, type: "file", required, accept: (input.allowedFileExtensions || []).join(",") || null });
    case "JSON":
    case "YAML":
    case "ARRAY":
      return h("textarea", { ...common, rows: 4, class: "mono", required }, typeof initial === "string" ? initial : initial === "" ? "" : JSON.stringify(initial, null, 2));
    case "DURATION":
      return h("input", { ...common, type: "text", placeholder: "PT5M", value: initial, required });
    default:
      return h("input", { ...common, type: TEXT_TYPES[input.type] || "text", value: initial, required });
  }
}

export function inputsForm(inputs, { submitLabel, onSubmit, validate }) {
  const rows = new Map();
  const controls = new Map();
  for (const input of inputs || []) {
    const control = field(input);
    controls.set(input.id, control);
    const error = h("span", { class: "field-error", id: `error-${input.id}` });
    rows.set(
      input.id,
      h(
        "label",
        { dataset: { input: input.id } },
        h("span", {}, input.displayName || input.id, " ", h("small", {}, input.type.toLowerCase(), input.required === false ? " · optional" : "")),
        input.description ? h("small", {}, input.description) : null,
        control,
        error,
      ),
    );
  }
  const show = (id, shown) => {
    rows.get(id).hidden = !shown;
    controls.get(id).disabled = !shown;
  };
  let asked = 0;
  const refresh = async () => {
    if (validate && (inputs || []).some((input) => input.dependsOn)) {
      const ask = ++asked;
      for (const control of controls.values()) control.disabled = false; // send every value
      try {
        const answer = await validate(formData(inputs, controls));
        if (ask !== asked) return; // a later change asked again
        for (const item of answer.inputs) if (rows.has(item.input.id)) show(item.input.id, item.enabled);
        return;
      } catch {
        // fall back on what the page can tell by itself
      }
    }
    for (const input of inputs || []) {
      const depends = (input.dependsOn && input.dependsOn.inputs) || [];
      show(input.id, depends.every((id) => {
        const control = controls.get(id);
        return control && !rows.get(id).hidden && (control.type === "checkbox" ? control.checked : control.value !== "");
      }));
    }
  };
  const status = h("p", { class: "field-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "stack",
      oninput: () => refresh(),
      onsubmit: async (event) => {
        event.preventDefault();
        status.textContent = "";
        for (const row of rows.values()) row.querySelector(".field-error").textContent = "";
        try {
          await onSubmit(formData(inputs, controls));
        } catch (error) {
          showErrors(error, rows, status);
        }
      },
    },
    [...rows.values()],
    status,
    h("div", { class: "row" }, h("button", { type: "submit" }, submitLabel)),
  );
  refresh();
  return form;
}

function formData(inputs, controls) {
  const data = new FormData();
  for (const input of inputs || []) {
    const control = controls.get(input.id);
    if (control.disabled) continue;
    if (input.type === "FILE") {
      if (control.files.length) data.append(input.id, control.files[0], control.files[0].name);
    } else if (control.type === "checkbox") {
      data.append(input.id, control.checked ? "true" : "false");
    } else if (control.multiple) {
      const chosen = [...control.selectedOptions].map((o) => o.value);
      if (chosen.length) data.append(input.id, JSON.stringify(chosen));
    } else if (input.type === "DATETIME" && control.value) {
      data.append(input.id, new Date(control.value).toISOString());
    } else if (control.value !== "") {
      data.append(input.id, control.value);
    }
  }
  return data;
}

function showErrors(error, rows, status) {
  const unplaced = [];
  for (const message of error.details && error.details.length ? error.details : [error.message]) {
    const named = [...rows.keys()].find((id) => message.includes(`\`${id}\``) || message.endsWith(`:${id}`) || message.includes(`input:${id}`));
    if (named) rows.get(named).querySelector(".field-error").textContent = message;
    else unplaced.push(message);
  }
  status.textContent = unplaced.join("\n");
}
