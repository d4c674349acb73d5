// Library: the brand's approved copy per SKU and channel (what /v1/variants serves), with the measured results
// of the latest experiment on that placement. Start an A/B/n test from here.

import { api } from "./api.js";
import { fill, fmtNumber, fmtPercent, fmtTime, h, heading, notice } from "./dom.js";
import { go } from "./router.js";

const CHANNELS = ["", "product_description", "product_title", "email_subject", "push_notification",
  "search_ad_headline", "social_post"];

export function render(main) {
  const abort = new AbortController();
  const sku = h("input", { id: "library-sku", name: "sku", type: "text", autocomplete: "off" });
  const channel = h("select", { id: "library-channel", name: "channel" },
    CHANNELS.map((c) => h("option", { value: c }, c ? c.replace(/_/g, " ") : "any channel")));
  const filter = h("form", { class: "filters", role: "search" },
    h("div", { class: "field" }, h("label", { for: "library-sku" }, "SKU"), sku),
    h("div", { class: "field" }, h("label", { for: "library-channel" }, "Channel"), channel),
    h("button", { type: "submit" }, "Filter"));
  const list = h("div", { class: "library-list", "aria-live": "polite" }, h("p", {}, "Loading…"));
  main.append(heading("Library"),
    h("p", {}, "Approved copy per SKU and channel: what ", h("code", {}, "GET /v1/variants/{sku}"),
      " serves, best first, with measured results once an experiment concluded."),
    filter, list);
  filter.addEventListener("submit", (event) => { event.preventDefault(); load(); });

  async function load() {
    const query = new URLSearchParams();
    if (sku.value.trim()) query.set("sku", sku.value.trim());
    if (channel.value) query.set("channel", channel.value);
    try {
      const { items } = await api(`/v1/library${query.size ? `?${query}` : ""}`, { signal: abort.signal });
      fill(list, items.length ? items.map(placement)
        : h("p", { class: "empty" }, "No approved copy yet. Approve variants in the chat or under Pending approval."));
    } catch (err) {
      if (err.name !== "AbortError") fill(list, notice("error", `The library could not be loaded: ${err.message}`));
    }
  }

  function placement(item) {
    const titleId = `lib-${item.sku}-${item.channel}-${item.segment || ""}`.replace(/[^A-Za-z0-9_-]/g, "_");
    return h("section", { class: "placement card", "aria-labelledby": titleId, "data-sku": item.sku,
      "data-channel": item.channel },
    h("h2", { id: titleId }, `${item.sku} — ${item.channel.replace(/_/g, " ")}`,
      item.segment ? ` (segment ${item.segment})` : ""),
    h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "visually-hidden" }, `Approved copy for ${item.sku}, ${item.channel}`),
      h("thead", {}, h("tr", {}, ["Rank", "Copy", "Angle", "Predicted CTR", "Source", "Approved"].map((c) =>
        h("th", { scope: "col" }, c)))),
      h("tbody", {}, item.variants.map((v) => h("tr", {},
        h("td", {}, v.rank), h("td", { class: "copy" }, v.text), h("td", {}, v.angle || "–"),
        h("td", {}, v.predicted_ctr === null || v.predicted_ctr === undefined ? "–" : `${fmtNumber(v.predicted_ctr)}×`),
        h("td", {}, v.source || ""), h("td", {}, fmtTime(v.created_at))))))),
    item.results ? results(item.results) : null,
    item.variants.length >= 2 ? h("div", { class: "actions" }, h("button", { type: "button",
      "data-action": "start-experiment", onclick: () => {
        sessionStorage.setItem("copyloop.experiment-from", JSON.stringify(item));
        go("experiments/new");
      } }, `Start an A/B test for ${item.sku}`)) : null);
  }

  function results(r) {
    return h("div", { class: "measured" },
      h("h3", {}, `Measured: ${r.name} (${r.status}${r.winner ? `, winner ${r.winner}` : ""})`),
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Arm", "Copy", "Impressions", "Clicks", "CTR", "Conversions", "CVR"].map((c) =>
          h("th", { scope: "col" }, c)))),
        h("tbody", {}, r.arms.map((a) => h("tr", { class: a.key === r.winner ? "winner" : "" },
          h("td", {}, a.key), h("td", { class: "copy" }, a.text), h("td", {}, a.impressions), h("td", {}, a.clicks),
          h("td", {}, fmtPercent(a.ctr)), h("td", {}, a.conversions), h("td", {}, fmtPercent(a.cvr))))))),
      h("p", {}, h("a", { href: `#/experiments/${encodeURIComponent(r.experiment_id)}` }, "Open the experiment")));
  }

  load();
  return () => abort.abort();
}
