// Pending approval: runs with `approval: human` wait here; approve a subset of their variants (or none) to resume
// them and publish what was approved.

import { api, ApiError } from "./api.js";
import { fill, fmtTime, h, heading, notice } from "./dom.js";
import { card } from "./variants.js";

export function render(main) {
  const abort = new AbortController();
  const status = h("div", { "aria-live": "polite" });
  const list = h("div", { class: "pending-list" }, h("p", {}, "Loading…"));
  main.append(heading("Pending approval"),
    h("p", {}, "Runs started with approval “human” (brief form or API) wait here until you choose what to publish."),
    status, list);

  async function load() {
    try {
      const { pending } = await api("/v1/approvals", { signal: abort.signal });
      fill(list, pending.length ? pending.map(run) : h("p", { class: "empty" }, "Nothing is waiting for approval."));
    } catch (err) {
      if (err.name !== "AbortError") fill(list, notice("error", `The pending runs could not be loaded: ${err.message}`));
    }
  }

  function run(item) {
    const picked = new Set(item.variants.filter((v) => v.status !== "blocked").map((v) => v.id));
    const titleId = `run-${item.id}`;
    const problem = h("div", { "aria-live": "polite" });
    const section = h("section", { class: "pending card", "aria-labelledby": titleId, "data-run": item.id },
      h("h2", { id: titleId }, `${item.product_name || item.sku || "Run"} — ${(item.channel || "").replace(/_/g, " ")}`),
      h("p", { class: "meta" }, item.sku ? `SKU ${item.sku} · ` : "", `waiting since ${fmtTime(item.created_at)}`),
      h("div", { class: "cards" }, item.variants.map((v, i) => card(v, {
        number: i + 1, headingLevel: 3,
        select: { checked: picked.has(v.id), onchange: (e) => {
          if (e.target.checked) picked.add(v.id); else picked.delete(v.id);
        } },
      }))),
      problem);
    const approve = h("button", { type: "button", class: "primary", "data-action": "approve-selected" },
      "Approve selected");
    const reject = h("button", { type: "button", class: "danger", "data-action": "reject-all" }, "Reject all");
    approve.addEventListener("click", () => decide(item, [...picked].sort((a, b) => a - b), problem, [approve, reject]));
    reject.addEventListener("click", () => decide(item, [], problem, [approve, reject]));
    section.append(h("div", { class: "actions" }, approve, reject));
    return section;
  }

  async function decide(item, ids, problem, buttons) {
    for (const b of buttons) b.disabled = true;
    fill(problem, notice("info", ids.length ? "Approving and publishing…" : "Rejecting…"));
    try {
      const answer = await api(`/v1/approvals/${encodeURIComponent(item.id)}`,
        { method: "POST", body: { approve: ids }, signal: abort.signal });
      const published = ((answer.result && answer.result.variants) || []).filter((v) => v.status === "ok").length;
      fill(status, notice("ok", ids.length
        ? `Approved ${ids.length} variant${ids.length > 1 ? "s" : ""} of ${item.product_name || item.sku}` +
          `${published ? ` (${published} now served)` : ""}. `
        : `Rejected every variant of ${item.product_name || item.sku}. `,
      ids.length ? h("a", { href: "#/library" }, "See the library") : null));
      await load();
      const title = document.querySelector(".page-title");
      if (title) title.focus();
    } catch (err) {
      if (err.name === "AbortError") return;
      for (const b of buttons) b.disabled = false;
      fill(problem, notice("error", err instanceof ApiError && err.status === 409
        ? `Already decided: ${err.message}` : err.message));
    }
  }

  load();
  return () => abort.abort();
}
