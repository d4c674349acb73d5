// Experiments: start an A/B/n test from approved copy, watch its arms (impressions, CTR and CVR with intervals,
// probability to beat control), the sample-ratio check and the recommended winner as a chart that updates (poll),
// and conclude it with one click.

import { api, ApiError } from "./api.js";
import { fill, fmtPercent, fmtTime, h, heading, notice, s } from "./dom.js";
import { go } from "./router.js";

const POLL_MS = 3000;

export function render(main, params) {
  if (params[0] === "new") return create(main);
  if (params[0]) return detail(main, params[0]);
  return list(main);
}

// ---- the list ------------------------------------------------------------------------------------------------

function list(main) {
  const abort = new AbortController();
  const box = h("div", {}, h("p", {}, "Loading…"));
  main.append(heading("Experiments"),
    h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => go("experiments/new") },
      "Start an experiment")),
    box);
  api("/v1/experiments", { signal: abort.signal }).then(({ experiments }) => {
    fill(box, experiments.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "visually-hidden" }, "Your experiments, newest first"),
      h("thead", {}, h("tr", {}, ["Name", "SKU", "Channel", "Status", "Started"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, experiments.map((e) => h("tr", {},
        h("td", {}, h("a", { href: `#/experiments/${encodeURIComponent(e.id)}` }, e.name)),
        h("td", {}, e.sku || "–"), h("td", {}, (e.channel || "").replace(/_/g, " ")), h("td", {}, e.status),
        h("td", {}, fmtTime(e.created_at)))))))
      : h("p", { class: "empty" }, "No experiments yet."));
  }).catch((err) => {
    if (err.name !== "AbortError") fill(box, notice("error", `The experiments could not be loaded: ${err.message}`));
  });
  return () => abort.abort();
}

// ---- starting one from approved copy -------------------------------------------------------------------------

function create(main) {
  const abort = new AbortController();
  const status = h("div", { "aria-live": "polite" });
  const box = h("div", {}, h("p", {}, "Loading your approved copy…"));
  main.append(heading("Start an experiment"),
    h("p", {}, "Pick a placement from the library and the approved variants to test against each other."),
    box, status);
  let preset = null;
  try { preset = JSON.parse(sessionStorage.getItem("copyloop.experiment-from") || "null"); } catch { preset = null; }
  sessionStorage.removeItem("copyloop.experiment-from");

  api("/v1/library", { signal: abort.signal }).then(({ items }) => {
    const usable = items.filter((i) => i.variants.length >= 2);
    if (!usable.length) {
      fill(box, notice("info", "An experiment needs a placement with at least two approved variants. ",
        h("a", { href: "#/chat" }, "Write and approve some in the chat"), "."));
      return;
    }
    const keyOf = (i) => `${i.sku}|${i.channel}|${i.segment || ""}`;
    const start = preset ? usable.find((i) => keyOf(i) === keyOf(preset)) || usable[0] : usable[0];
    const where = h("select", { id: "exp-placement", name: "placement" }, usable.map((i) => h("option", {
      value: keyOf(i), selected: i === start ? true : null }, `${i.sku} — ${i.channel.replace(/_/g, " ")}`)));
    const name = h("input", { id: "exp-name", name: "name", type: "text", required: true, autocomplete: "off" });
    const allocation = h("select", { id: "exp-allocation", name: "allocation" },
      h("option", { value: "split" }, "Fixed even split"), h("option", { value: "thompson" }, "Thompson sampling"));
    const arms = h("fieldset", { class: "arms-pick" });
    const control = h("select", { id: "exp-control", name: "control" });
    const submit = h("button", { type: "submit", class: "primary" }, "Start the experiment");
    const form = h("form", { class: "card", novalidate: true },
      h("div", { class: "field" }, h("label", { for: "exp-placement" }, "Placement (SKU and channel)"), where),
      h("div", { class: "field" }, h("label", { for: "exp-name" }, "Name"), name),
      arms,
      h("div", { class: "field" }, h("label", { for: "exp-control" }, "Control (what the others are compared with)"),
        control),
      h("div", { class: "field" }, h("label", { for: "exp-allocation" }, "Traffic allocation"), allocation),
      submit);
    const chosen = () => usable.find((i) => keyOf(i) === where.value);

    function drawArms() {
      const item = chosen();
      name.value = `${item.sku} ${item.channel.replace(/_/g, " ")} test`;
      fill(arms, h("legend", {}, "Variants to test (at least two)"), item.variants.map((v, i) => h("div", { class: "check" },
        h("input", { type: "checkbox", id: `exp-arm-${i}`, value: String(i), checked: true, onchange: drawControl }),
        h("label", { for: `exp-arm-${i}` }, h("strong", {}, `v${i + 1}`), ` ${v.text}`))));
      drawControl();
    }
    function drawControl() {
      const picked = [...arms.querySelectorAll("input:checked")].map((c) => Number(c.value));
      fill(control, picked.map((i) => h("option", { value: `v${i + 1}` }, `v${i + 1}`)));
    }
    where.addEventListener("change", drawArms);
    drawArms();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const item = chosen();
      const picked = [...arms.querySelectorAll("input:checked")].map((c) => Number(c.value));
      if (picked.length < 2) {
        fill(status, notice("error", "Pick at least two variants."));
        return;
      }
      submit.disabled = true;
      try {
        const made = await api("/v1/experiments", { method: "POST", signal: abort.signal, body: {
          name: name.value.trim(), sku: item.sku, channel: item.channel, allocation: allocation.value,
          control: control.value,
          variants: picked.map((i) => ({ key: `v${i + 1}`, text: item.variants[i].text,
            ...(item.variants[i].angle ? { angle: item.variants[i].angle } : {}) })),
        } });
        go(`experiments/${encodeURIComponent(made.id)}`);
      } catch (err) {
        if (err.name === "AbortError") return;
        submit.disabled = false;
        fill(status, notice("error", err instanceof ApiError && err.fields.length
          ? err.fields.map((f) => `${f.field}: ${f.message}`).join("; ") : err.message));
      }
    });
    fill(box, form);
  }).catch((err) => {
    if (err.name !== "AbortError") fill(box, notice("error", `The library could not be loaded: ${err.message}`));
  });
  return () => abort.abort();
}

// ---- one experiment, polled ------------------------------------------------------------------------------------

function detail(main, id) {
  const abort = new AbortController();
  let timer = null;
  const title = heading("Experiment");
  const meta = h("p", { class: "meta" });
  const live = h("div", { class: "experiment-live" }, h("p", {}, "Loading…"));
  const conclusion = h("section", { class: "conclude card", "aria-labelledby": "conclude-title", hidden: true });
  const updated = h("p", { class: "updated", "aria-live": "off" });
  main.append(title, meta, live, updated, conclusion);
  let winnerPick = null;
  let touched = false;

  async function poll() {
    try {
      const report = await api(`/v1/experiments/${encodeURIComponent(id)}`, { signal: abort.signal });
      title.textContent = `Experiment: ${report.name}`;
      meta.textContent = `${report.sku || "no SKU"} · ${report.channel.replace(/_/g, " ")} · ${report.allocation} · `
        + `${report.status}${report.winner ? ` · winner ${report.winner}` : ""} · started ${fmtTime(report.created_at)}`;
      fill(live, numbers(report));
      updated.textContent = report.status === "running"
        ? `Updated ${new Date().toLocaleTimeString()}; refreshes every ${POLL_MS / 1000} s.` : "";
      drawConclusion(report);
      if (report.status === "running") timer = setTimeout(poll, POLL_MS);
    } catch (err) {
      if (err.name === "AbortError") return;
      fill(live, notice("error", err instanceof ApiError && err.status === 404
        ? "There is no such experiment for your brand." : `Could not load the experiment: ${err.message}`));
      if (!(err instanceof ApiError)) timer = setTimeout(poll, POLL_MS * 2);
    }
  }

  function drawConclusion(report) {
    conclusion.hidden = false;
    if (report.status !== "running") {
      fill(conclusion, h("h2", { id: "conclude-title" }, "Concluded"),
        h("p", {}, `Winner: ${report.winner}, now served first${report.sku ? ` for ${report.sku}` : ""}. `,
          `Concluded ${fmtTime(report.concluded_at)}.`));
      return;
    }
    const recommended = report.recommendation.winner || report.control;
    if (!winnerPick) {
      winnerPick = h("select", { id: "winner", onchange: () => { touched = true; } },
        report.variants.map((v) => h("option", { value: v.key }, v.key)));
      const button = h("button", { type: "button", class: "primary", "data-action": "conclude" }, "Conclude now");
      const problem = h("div", { "aria-live": "polite" });
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await api(`/v1/experiments/${encodeURIComponent(id)}/conclude`,
            { method: "POST", body: { winner: winnerPick.value }, signal: abort.signal });
          clearTimeout(timer);
          winnerPick = null;
          await poll();
          conclusion.querySelector("h2").setAttribute("tabindex", "-1");
          conclusion.querySelector("h2").focus();
        } catch (err) {
          if (err.name === "AbortError") return;
          button.disabled = false;
          fill(problem, notice("error", err.message));
        }
      });
      fill(conclusion, h("h2", { id: "conclude-title" }, "Conclude"),
        h("p", {}, "Stop the test, serve the winner first and record every variant's measured results."),
        h("div", { class: "field inline" }, h("label", { for: "winner" }, "Winner"), winnerPick), button, problem);
    }
    if (!touched) winnerPick.value = recommended;
  }

  poll();
  return () => {
    clearTimeout(timer);
    abort.abort();
  };
}

function numbers(report) {
  const rec = report.recommendation;
  const srm = report.sample_ratio;
  return [
    h("section", { class: "card", "aria-labelledby": "rec-title" },
      h("h2", { id: "rec-title" }, "Recommended winner"),
      h("p", { class: `recommendation${rec.significant ? " significant" : ""}`, "data-winner": rec.winner || "" },
        rec.winner ? h("strong", {}, rec.winner) : "none yet",
        rec.significant ? " (significant)" : " (not significant yet)", ` — ${rec.reason}`),
      chart(report),
      h("p", { class: `srm${srm.checked && srm.mismatch ? " bad" : ""}` }, h("strong", {}, "Sample-ratio check: "),
        !srm.checked ? srm.reason
          : srm.mismatch ? `mismatch (p = ${srm.p_value}): traffic is not split as configured; check the assignment.`
            : `OK (p = ${srm.p_value}): observed shares ${srm.observed_share.map((x) => fmtPercent(x, 0)).join(" / ")}`
            + ` vs expected ${srm.expected_share.map((x) => fmtPercent(x, 0)).join(" / ")}.`)),
    h("section", { class: "card", "aria-labelledby": "arms-title" },
      h("h2", { id: "arms-title" }, "Arms"),
      h("div", { class: "table-wrap" }, h("table", { class: "arms" },
        h("thead", {}, h("tr", {}, ["Arm", "Copy", "Impressions", "Clicks", "CTR (95 % interval)", "Conversions",
          "CVR (95 % interval)", "P(beats control)"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, report.variants.map((v) => h("tr", { "data-arm": v.key,
          class: v.key === report.winner || v.key === rec.winner ? "winner" : "" },
        h("th", { scope: "row" }, v.key, v.key === report.control ? " (control)" : ""),
        h("td", { class: "copy" }, v.text),
        h("td", { "data-col": "impressions" }, v.impressions), h("td", { "data-col": "clicks" }, v.clicks),
        h("td", { "data-col": "ctr" }, `${fmtPercent(v.ctr)} (${fmtPercent(v.ctr_interval[0])}–${fmtPercent(v.ctr_interval[1])})`),
        h("td", { "data-col": "conversions" }, v.conversions),
        h("td", { "data-col": "cvr" }, `${fmtPercent(v.cvr)} (${fmtPercent(v.cvr_interval[0])}–${fmtPercent(v.cvr_interval[1])})`),
        h("td", { "data-col": "beat" }, v.prob_beat_control === null ? "control" : fmtPercent(v.prob_beat_control)))))))),
  ];
}

/** CTR per arm as a bar with its 95 % interval as a whisker; the recommended winner drawn darker. */
function chart(report) {
  const rows = report.variants;
  const top = Math.max(0.01, ...rows.map((v) => v.ctr_interval[1] || 0));
  const scale = niceCeil(top);
  const width = 600;
  const left = 60;
  const right = 20;
  const rowHeight = 34;
  const height = rows.length * rowHeight + 40;
  const x = (value) => left + (value / scale) * (width - left - right);
  const winner = report.winner || report.recommendation.winner;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * scale);
  const summary = rows.map((v) => `${v.key} CTR ${fmtPercent(v.ctr)}`).join(", ");
  return h("figure", { class: "chart" },
    s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "chart-title", class: "ctr-chart",
      preserveAspectRatio: "xMinYMin meet" },
    s("title", { id: "chart-title" }, `Click-through rate per arm with 95 % intervals: ${summary}`),
    ticks.map((t) => [
      s("line", { x1: x(t), x2: x(t), y1: 10, y2: height - 25, class: "grid" }),
      s("text", { x: x(t), y: height - 8, "text-anchor": "middle", class: "tick" }, fmtPercent(t, scale < 0.05 ? 1 : 0)),
    ]),
    rows.map((v, i) => {
      const y = 14 + i * rowHeight;
      const [low, high] = v.ctr_interval;
      return s("g", { class: `arm${v.key === winner ? " lead" : ""}` },
        s("text", { x: left - 8, y: y + 15, "text-anchor": "end", class: "arm-label" }, v.key),
        s("rect", { x: left, y, width: Math.max(0, x(v.ctr) - left), height: 20, rx: 3, class: "bar" }),
        s("line", { x1: x(low), x2: x(high), y1: y + 10, y2: y + 10, class: "whisker" }),
        s("line", { x1: x(low), x2: x(low), y1: y + 4, y2: y + 16, class: "whisker" }),
        s("line", { x1: x(high), x2: x(high), y1: y + 4, y2: y + 16, class: "whisker" }));
    })),
    h("figcaption", {}, "CTR per arm; the line across each bar is its 95 % interval. Darker: the ",
      report.winner ? "winner." : "recommended winner."));
}

function niceCeil(value) {
  const steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1];
  return steps.find((step) => step >= value) || 1;
}
