// A variant as a card: text, angle, CTA, sentiment, novelty, predicted CTR, findings, and the trace of which agent
// changed what and why. Used by the chat, the brief form and the approval list.

import { h, fmtNumber, label } from "./dom.js";

/**
 * card(variant, {number, approved, actions: [{label, onclick, kind}], select: {checked, onchange}})
 * `number` is the position shown to the marketer (#1 …), what chat commands and edits refer to.
 */
export function card(variant, { number, approved = false, actions = [], select = null, headingLevel = 3 } = {}) {
  const scores = variant.scores || {};
  const blocked = variant.status === "blocked";
  const title = `#${number ?? variant.rank ?? variant.id}`;
  const titleId = `variant-${number ?? variant.id}-${Math.random().toString(36).slice(2, 8)}`;
  const el = h("article", {
    class: `variant${blocked ? " blocked" : ""}${approved ? " approved" : ""}`, "aria-labelledby": titleId,
    "data-number": number ?? "", "data-id": variant.id,
  });
  const badges = h("span", { class: "badges" },
    variant.angle ? h("span", { class: "badge" }, label(variant.angle)) : null,
    approved ? h("span", { class: "badge ok" }, "Approved") : null,
    blocked ? h("span", { class: "badge bad" }, "Blocked") : null);
  const head = h("header", { class: "variant-head" },
    select ? h("input", { type: "checkbox", id: `${titleId}-pick`, checked: select.checked, onchange: select.onchange,
      class: "pick" }) : null,
    select ? h("label", { for: `${titleId}-pick`, class: "visually-hidden" }, `Select variant ${title}`) : null,
    h(`h${headingLevel}`, { id: titleId, class: "variant-title" }, `Variant ${title}`), badges);
  const text = h("p", { class: "variant-text" }, variant.text);
  const metrics = h("dl", { class: "metrics" },
    metric("Sentiment", fmtNumber(scores.sentiment), scores.sentiment_in_band === false ? "outside the target band" : ""),
    metric("Novelty", fmtNumber(scores.novelty)),
    metric("Predicted CTR", scores.predicted_ctr === undefined ? "–" : `${fmtNumber(scores.predicted_ctr)}×`,
      "as a multiple of the reference copy's"),
    variant.cta ? metric("CTA", variant.cta) : null);
  el.append(head, text, metrics);
  if (blocked && variant.blocked_reason) el.append(h("p", { class: "blocked-reason" }, `Blocked: ${variant.blocked_reason}`));
  el.append(findings(variant.findings || []), trace(variant.trace || []));
  if (actions.length) {
    el.append(h("div", { class: "actions" }, actions.map((a) => h("button", {
      type: "button", class: a.kind || "", onclick: a.onclick, "aria-label": `${a.label} variant ${title}`,
      "data-action": a.name || a.label.toLowerCase(),
    }, a.label))));
  }
  return el;
}

function metric(name, value, hint = "") {
  return h("div", { class: "metric" }, h("dt", {}, name), h("dd", { title: hint || null }, value));
}

function findings(list) {
  if (!list.length) return h("p", { class: "findings none" }, "No compliance findings.");
  return h("details", { class: "findings" },
    h("summary", {}, `Findings (${list.length})`),
    h("ul", {}, list.map((f) => h("li", { class: `finding ${f.severity}` },
      h("strong", {}, `${f.severity}${f.fixed ? " (fixed)" : ""}: `), f.message,
      f.matched ? h("span", { class: "matched" }, ` — “${f.matched}”`) : null,
      f.fix ? h("span", { class: "fix" }, ` Fix: ${f.fix}`) : null))));
}

function trace(steps) {
  if (!steps.length) return null;
  return h("details", { class: "trace" },
    h("summary", {}, `Trace: which agent changed what (${steps.length} step${steps.length === 1 ? "" : "s"})`),
    h("ol", {}, steps.map((step) => h("li", {},
      h("strong", {}, step.agent || step.node || "agent"), ` ${step.action}: `, step.reason || "",
      step.before ? h("div", { class: "diff" },
        h("del", {}, step.before), " → ", h("ins", {}, step.after ?? "")) : null))));
}
