// Brief form: every field of the API's Brief, built from /openapi.json so a new field appears by itself; the
// API's 422 problems are shown next to the field they name.

import { api, ApiError, openApi } from "./api.js";
import { fill, h, heading, notice } from "./dom.js";
import { card } from "./variants.js";

const NAMES = { sku: "SKU", n_variants: "Number of variants", cta_goal: "CTA goal", brand_voice: "Brand voice",
  target_sentiment: "Target sentiment", reference_copy: "Reference copy (your current shop copy)",
  approval: "Approval" };
const HINTS = {
  product_name: "What the product is called. Required.",
  features: "One feature per line.",
  attributes: "One per line as name: value, e.g. material: steel.",
  required_words: "One per line: words every variant must contain.",
  banned_words: "One per line: words no variant may contain.",
  target_sentiment: "min, max (e.g. 0.3, 0.9) or a band: calm, positive, enthusiastic. Empty: the channel's default.",
  price: "e.g. 29.99",
  guidance: "An extra instruction for this run, e.g. “shorter”.",
  approval: "“human”: the run waits in Pending approval until someone approves variants.",
};

export function render(main) {
  const abort = new AbortController();
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const results = h("section", { class: "results", "aria-labelledby": "results-title", hidden: true });
  const formBox = h("div", {}, h("p", {}, "Loading the brief's fields…"));
  main.append(heading("Brief form"),
    h("p", {}, "Every field of a brief; only the product name is required. The copy is written when you submit ",
      "(tens of seconds on a laptop CPU)."),
    formBox, status, results);

  let fields = [];
  openApi().then((doc) => {
    const schemas = doc.components.schemas;
    const request = schemas.GenerateRequest;
    const brief = resolve(schemas, request.properties.brief);
    fields = Object.entries(brief.properties).map(([name, schema]) =>
      field(name, schema, schemas, `brief-${name}`, (brief.required || []).includes(name), "brief"));
    const extras = Object.entries(request.properties).filter(([name]) => name !== "brief")
      .map(([name, schema]) => field(name, schema, schemas, `run-${name}`, false, ""));
    fields.push(...extras);
    const submit = h("button", { type: "submit", class: "primary" }, "Write copy");
    const form = h("form", { class: "brief-form", novalidate: true },
      h("fieldset", {}, h("legend", {}, "The product and placement"),
        fields.filter((f) => f.group === "brief").map((f) => f.el)),
      h("fieldset", {}, h("legend", {}, "This run"), extras.map((f) => f.el)),
      submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitBrief(submit);
    });
    fill(formBox, form);
  }).catch((err) => fill(formBox, notice("error", `The form could not be built: ${err.message}`)));

  async function submitBrief(submit) {
    for (const f of fields) f.setError(null);
    results.hidden = true;
    const body = { brief: {} };
    const local = [];
    for (const f of fields) {
      let value;
      try {
        value = f.read();
      } catch (err) {
        local.push({ field: f, message: err.message });
        continue;
      }
      if (value === undefined) continue;
      if (f.group === "brief") body.brief[f.name] = value; else body[f.name] = value;
    }
    if (local.length) {
      for (const problem of local) problem.field.setError(problem.message);
      fill(status, notice("error", `Fix ${local.length} field${local.length > 1 ? "s" : ""} first.`));
      local[0].field.focus();
      return;
    }
    submit.disabled = true;
    const started = performance.now();
    fill(status, notice("info", "Writing copy… (the whole workflow runs: drafting, checks, scores)"));
    try {
      let answer = await api("/v1/generate", { method: "POST", body, raw: true, signal: abort.signal });
      if (answer.status === 202 && answer.body.status === "queued") {
        fill(status, notice("info", "Every generation slot is busy: queued as a job, waiting for it…"));
        answer = { status: 200, body: await waitForJob(answer.body.url) };
      }
      const result = answer.body;
      if (result.status === "pending_approval") {
        fill(status, notice("ok", "The run waits for a person: ",
          h("a", { href: "#/approvals" }, "approve its variants under Pending approval"), "."));
        showVariants(result.variants || [], "Variants waiting for approval");
      } else {
        const seconds = ((performance.now() - started) / 1000).toFixed(0);
        const sku = result.brief && result.brief.sku;
        fill(status, notice("ok", `Done in ${seconds} s.`,
          body.publish !== false && sku ? ` The shippable variants are served from /v1/variants/${sku}.` : ""));
        showVariants(result.variants || [], "Variants, best first");
      }
    } catch (err) {
      if (err.name === "AbortError") return;
      showProblems(err);
    } finally {
      submit.disabled = false;
    }
  }

  function showProblems(err) {
    if (!(err instanceof ApiError) || !err.fields.length) {
      fill(status, notice("error", err.message));
      return;
    }
    const unplaced = [];
    let first = null;
    for (const problem of err.fields) {
      const target = fieldFor(problem.field);
      if (target) {
        target.setError(problem.message, true);
        first = first || target;
      } else {
        unplaced.push(problem);
      }
    }
    fill(status, notice("error", `The API refused the brief (${err.fields.length} problem${
      err.fields.length > 1 ? "s" : ""}); see the messages next to the fields.`,
    unplaced.length ? h("ul", {}, unplaced.map((p) => h("li", {}, `${p.field}: ${p.message}`))) : null));
    if (first) first.focus();
  }

  function fieldFor(path) {
    const inBrief = path === "brief" || path.startsWith("brief.");
    const name = (inBrief ? path.slice(6) : path).split(/[.[]/)[0];
    return fields.find((f) => f.name === name && f.group === (inBrief ? "brief" : ""));
  }

  async function waitForJob(url) {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const job = await api(url, { signal: abort.signal });
      if (job.status === "succeeded") return job.result;
      if (job.status === "pending_approval") return { status: "pending_approval", ...(job.result || {}) };
      if (job.status === "failed") throw new Error(`the job failed: ${job.error || "no reason given"}`);
    }
  }

  function showVariants(variants, title) {
    results.hidden = false;
    fill(results, h("h2", { id: "results-title", tabindex: "-1" }, title),
      h("div", { class: "cards" }, variants.map((v, i) => card(v, { number: i + 1 }))));
    results.querySelector("h2").focus();
  }

  return () => abort.abort();
}

/** A schema with its $ref followed and a nullable anyOf reduced to the non-null branches. */
function resolve(schemas, schema) {
  if (schema.$ref) return { ...schemas[schema.$ref.split("/").pop()], ...withoutRef(schema) };
  return schema;
}

function withoutRef(schema) {
  const { $ref, ...rest } = schema;
  return rest;
}

function kindOf(schemas, schema) {
  const own = resolve(schemas, schema);
  const branches = (own.anyOf || [own]).map((b) => resolve(schemas, b)).filter((b) => b.type !== "null");
  const optional = Boolean(own.anyOf && own.anyOf.some((b) => b.type === "null"));
  const main = branches[0] || {};
  if (own.enum || main.enum) return { kind: "enum", options: own.enum || main.enum, optional, main };
  if (main.type === "boolean") return { kind: "boolean", optional, main };
  if (main.prefixItems) return { kind: "pair", optional, main };
  if (main.type === "array") return { kind: "lines", optional, main };
  if (main.type === "object") return { kind: "mapping", optional, main };
  if (branches.some((b) => b.type === "string") && branches.some((b) => b.type === "number")) {
    return { kind: "amount", optional, main };
  }
  if (main.type === "integer" || main.type === "number") return { kind: "number", optional, main };
  return { kind: (main.maxLength || 0) > 200 ? "long" : "text", optional, main };
}

/** One form field for a schema property: its label, input, help and error slot; read() gives the JSON value
 * (undefined: leave it out, so the API's default applies). */
function field(name, schema, schemas, id, required, group) {
  const own = resolve(schemas, schema);
  const { kind, options, optional } = kindOf(schemas, schema);
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const fallback = own.default;
  let input;
  if (kind === "enum") {
    input = h("select", { id, name },
      optional || fallback === undefined ? h("option", { value: "" }, "—") : null,
      options.map((o) => h("option", { value: o, selected: o === fallback ? true : null }, String(o).replace(/_/g, " "))));
  } else if (kind === "boolean") {
    input = h("input", { id, name, type: "checkbox", checked: fallback === true });
  } else if (kind === "lines" || kind === "mapping" || kind === "long") {
    input = h("textarea", { id, name, rows: kind === "long" ? 4 : 3 });
  } else {
    input = h("input", { id, name, type: "text", autocomplete: "off",
      inputmode: kind === "number" ? "numeric" : kind === "amount" ? "decimal" : null,
      value: fallback !== undefined && fallback !== null && typeof fallback !== "object" ? String(fallback) : "" });
  }
  input.setAttribute("aria-describedby", helpId);
  if (required) input.setAttribute("aria-required", "true");
  const hint = HINTS[name] || own.description || "";
  const error = h("p", { class: "field-error", id: errorId, hidden: true });
  const labelText = NAMES[name] || (own.title ? own.title.charAt(0) + own.title.slice(1).toLowerCase()
    : name.replace(/_/g, " "));
  const el = h("div", { class: `field field-${kind}`, "data-field": name },
    kind === "boolean"
      ? h("div", { class: "check" }, input, h("label", { for: id }, labelText))
      : h("label", { for: id }, labelText, required ? h("span", { class: "required" }, " (required)") : null),
    kind === "boolean" ? null : input,
    h("p", { class: "help", id: helpId }, hint), error);

  function read() {
    if (kind === "boolean") return input.checked === (fallback === true) ? undefined : input.checked;
    const raw = input.value.trim();
    if (raw === "") return kind === "enum" && optional ? undefined : required ? raw : undefined;
    if (kind === "lines") return raw.split("\n").map((l) => l.trim()).filter(Boolean);
    if (kind === "mapping") {
      const result = {};
      for (const line of raw.split("\n").map((l) => l.trim()).filter(Boolean)) {
        const colon = line.indexOf(":");
        if (colon < 1) throw new Error(`write each line as name: value (“${line.slice(0, 40)}” has no name)`);
        result[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
      return result;
    }
    if (kind === "pair") {
      const parts = raw.split(/[,;\s]+/).filter(Boolean);
      if (parts.length === 2 && parts.every((p) => p !== "" && !Number.isNaN(Number(p)))) return parts.map(Number);
      return raw;  // a band name, or something the API will explain
    }
    if (kind === "number") return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    return raw;
  }

  function setError(message, fromApi = false) {
    if (!message) {
      error.hidden = true;
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", helpId);
      el.classList.remove("invalid");
      return;
    }
    error.hidden = false;
    error.textContent = fromApi ? `The API says: ${message}` : message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `${errorId} ${helpId}`);
    el.classList.add("invalid");
  }

  return { name, group, el, read, setError, focus: () => input.focus() };
}
