// Chat: describe a product in plain words, see what was understood (missing fields highlighted), watch the
// workflow's progress node by node (SSE), get ranked variant cards, follow up with buttons or free text, edit a
// variant inline (re-checked by the agents), approve or drop. Threads resume after a reload or a restart.

import { api, ApiError, stream } from "./api.js";
import { fill, fmtTime, h, heading, label, notice } from "./dom.js";
import { go, replace } from "./router.js";
import { card } from "./variants.js";

const EXAMPLE = "a 750 ml insulated steel bottle, keeps drinks cold 24h, $29, for hikers, playful email subject line";

export function render(main, params) {
  const abort = new AbortController();
  const state = {
    threadId: params[0] || null, messages: [], fields: {}, missing: [], variants: [], approved: [], followups: [],
    busy: false, selected: new Set(), editing: null,
  };

  const threadList = h("ul", { class: "thread-list" });
  const threads = h("aside", { class: "threads", "aria-labelledby": "threads-title" },
    h("h2", { id: "threads-title" }, "Your chats"),
    h("button", { type: "button", class: "primary", onclick: () => go("chat") }, "New chat"),
    threadList);

  const log = h("ol", { class: "messages", "aria-label": "Conversation" });
  const understood = h("section", { class: "understood", "aria-labelledby": "understood-title", hidden: true });
  const progressList = h("ol", { class: "progress-list" });
  const progressStatus = h("p", { class: "progress-status" });
  const progress = h("section", { class: "progress", "aria-labelledby": "progress-title", hidden: true },
    h("h2", { id: "progress-title" }, "Progress"),
    h("div", { "aria-live": "polite", "aria-atomic": "false", id: "progress-live" }, progressStatus, progressList));
  const errors = h("div", { class: "chat-errors", "aria-live": "assertive" });
  const variantsBox = h("section", { class: "variants-box", "aria-labelledby": "variants-title", hidden: true });
  const followups = h("div", { class: "followups", hidden: true });
  const message = h("textarea", { id: "message", name: "message", rows: 3, maxlength: 4000, required: true,
    "aria-describedby": "message-help" });
  const sendButton = h("button", { type: "submit", class: "primary" }, "Send");
  const composer = h("form", { class: "composer", novalidate: true },
    h("label", { for: "message" }, "Message"),
    message,
    h("p", { class: "help", id: "message-help" },
      `Describe a product in plain words, e.g. “${EXAMPLE}”; then follow up: “shorter”, “another CTA”, `,
      "“regenerate #2”, “switch channel to social post”, “approve #1 #3”. Ctrl+Enter sends."),
    sendButton);
  const conversation = h("section", { class: "conversation", "aria-label": "Current chat" },
    log, understood, progress, errors, variantsBox, followups, composer);

  main.append(heading("Chat"),
    h("div", { class: "chat-layout" }, conversation, threads));

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = message.value.trim();
    if (!text) {
      fill(errors, notice("error", "Type a message first."));
      message.focus();
      return;
    }
    send(text).then((ok) => { if (ok) message.value = ""; });
  });
  message.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  // ---- loading ---------------------------------------------------------------------------------------------

  async function loadThreads() {
    try {
      const { threads: list } = await api("/v1/chat", { signal: abort.signal });
      fill(threadList, list.length ? list.map((t) => h("li", {},
        h("a", { href: `#/chat/${encodeURIComponent(t.thread_id)}`,
          "aria-current": t.thread_id === state.threadId ? "page" : null },
          t.title || t.thread_id),
        h("span", { class: "when" }, fmtTime(t.updated_at || t.created_at)))) : h("li", {}, "No chats yet."));
    } catch (err) {
      if (err.name !== "AbortError") fill(threadList, h("li", {}, `Chats could not be listed: ${err.message}`));
    }
  }

  async function loadThread() {
    if (!state.threadId) {
      log.append(h("li", { class: "message assistant" }, h("span", { class: "who" }, "copyloop"),
        h("p", {}, "Tell me about a product: what it is, its features, price, who it is for and where the copy will run.")));
      message.focus();
      return;
    }
    try {
      const thread = await api(`/v1/chat/${encodeURIComponent(state.threadId)}`, { signal: abort.signal });
      Object.assign(state, {
        messages: thread.messages || [], fields: thread.fields || {}, missing: thread.missing || [],
        variants: thread.variants || [], approved: thread.approved || [], followups: thread.followups || [],
      });
      fill(log, state.messages.map(messageItem));
      redraw();
    } catch (err) {
      if (err.name === "AbortError") return;
      fill(errors, notice("error", err instanceof ApiError && err.status === 404
        ? "There is no such chat for your brand." : `The chat could not be loaded: ${err.message}`));
    }
  }

  // ---- sending ---------------------------------------------------------------------------------------------

  async function send(text, { focusAfter } = {}) {
    if (state.busy) return false;
    setBusy(true);
    errors.replaceChildren();
    log.append(messageItem({ role: "user", content: text }));
    fill(progressList);
    progress.hidden = false;
    const started = performance.now();
    progressStatus.textContent = "Working on it…";
    const body = { message: text, ...(state.threadId ? { thread_id: state.threadId } : {}) };
    let replied = false;
    try {
      await stream("/v1/chat/stream", body, (name, data) => {
        if (name === "thread" && data.thread_id) adopt(data.thread_id);
        else if (name === "progress") addProgress(data);
        else if (name === "reply") { replied = true; takeReply(data); }
        else if (name === "error") fill(errors, notice("error", `${data.error || "The run failed"}${
          data.detail && typeof data.detail === "string" && data.detail !== data.error ? `: ${data.detail}` : ""}`));
      }, { signal: abort.signal });
      if (!replied && !errors.childElementCount) {
        fill(errors, notice("error", "The connection ended before copyloop answered. Reload to see the chat."));
      }
    } catch (err) {
      if (err.name === "AbortError") return false;
      if (err instanceof ApiError && (err.status === 404 || err.status === 405) && !err.fields.length
          && /not found|method/i.test(err.message)) {
        replied = await sendPlain(body);  // a server without the streaming endpoint
      } else {
        fill(errors, notice("error", err.message));
      }
    } finally {
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      progressStatus.textContent = replied ? `Done in ${seconds} s.` : "Stopped.";
      if (replied && !progressList.childElementCount) progress.hidden = true;  // a turn that wrote no copy
      setBusy(false);
    }
    if (replied && focusAfter) focusAfter();
    return replied;
  }

  async function sendPlain(body) {
    try {
      takeReply(await api("/v1/chat", { method: "POST", body, signal: abort.signal }));
      return true;
    } catch (err) {
      if (err.name !== "AbortError") fill(errors, notice("error", err.message));
      return false;
    }
  }

  function adopt(threadId) {
    if (state.threadId === threadId) return;
    state.threadId = threadId;
    replace(`chat/${encodeURIComponent(threadId)}`);
    loadThreads();
  }

  function addProgress(data) {
    const item = h("li", { class: "progress-item", "data-node": data.node || "" },
      h("strong", {}, data.label || label(data.node || "step")),
      data.detail ? h("span", { class: "detail" }, ` — ${data.detail}`) : null);
    progressList.append(item);
  }

  function takeReply(reply) {
    adopt(reply.thread_id);
    state.fields = reply.fields || {};
    state.missing = reply.missing || [];
    state.variants = reply.variants || [];
    state.approved = reply.approved || [];
    state.followups = reply.followups || [];
    state.selected.clear();
    log.append(messageItem({ role: "assistant", content: reply.reply }));
    redraw();
    loadThreads();
  }

  function setBusy(busy) {
    state.busy = busy;
    conversation.setAttribute("aria-busy", busy ? "true" : "false");
    sendButton.disabled = busy;
    for (const button of conversation.querySelectorAll(".variants-box button, .followups button")) {
      button.disabled = busy;
    }
  }

  // ---- drawing ---------------------------------------------------------------------------------------------

  function messageItem(m) {
    const mine = m.role === "user" || m.role === "human";
    return h("li", { class: `message ${mine ? "user" : "assistant"}` },
      h("span", { class: "who" }, mine ? "You" : "copyloop"), h("p", {}, m.content));
  }

  function redraw() {
    drawUnderstood();
    drawVariants();
    drawFollowups();
  }

  function drawUnderstood() {
    const entries = Object.entries(state.fields).filter(([, v]) => v !== null && v !== "" &&
      !(Array.isArray(v) && !v.length) && !(typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length))
      .sort(([a], [b]) => rank(a) - rank(b));
    understood.hidden = !entries.length && !state.missing.length;
    fill(understood, h("h2", { id: "understood-title" }, "What copyloop understood"),
      h("dl", { class: "fields" },
        state.missing.map((name) => h("div", { class: "field-value missing", "data-field": name },
          h("dt", {}, fieldName(name)), h("dd", {}, h("strong", {}, "Missing — please tell me")))),
        entries.map(([name, value]) => h("div", { class: "field-value", "data-field": name },
          h("dt", {}, fieldName(name)), h("dd", {}, show(name, value))))));
  }

  function drawVariants() {
    variantsBox.hidden = !state.variants.length;
    const approvedIds = new Set(state.approved);
    const cards = state.variants.map((variant, index) => {
      const number = index + 1;
      if (state.editing === number) return editor(variant, number);
      return card(variant, {
        number, approved: approvedIds.has(variant.id),
        select: { checked: state.selected.has(number), onchange: (e) => {
          if (e.target.checked) state.selected.add(number); else state.selected.delete(number);
        } },
        actions: [
          approvedIds.has(variant.id) ? null
            : { label: "Approve", name: "approve", kind: "primary", onclick: () => act(`approve #${number}`, number) },
          { label: "Edit", name: "edit", onclick: () => { state.editing = number; drawVariants(); } },
          { label: "Regenerate", name: "regenerate", onclick: () => act(`regenerate #${number}`, number) },
          { label: "Drop", name: "drop", kind: "danger", onclick: () => act(`drop #${number}`, null) },
        ].filter(Boolean),
      });
    });
    fill(variantsBox, h("h2", { id: "variants-title", tabindex: "-1" }, "Variants, best first"),
      h("div", { class: "cards" }, cards),
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: approveSelected, "data-action": "approve-selected" },
          "Approve selected")));
    if (state.editing) {
      const area = variantsBox.querySelector("textarea");
      if (area) area.focus();
    }
    if (state.busy) setBusy(true);
  }

  function approveSelected() {
    const picked = [...state.selected].sort((a, b) => a - b);
    if (!picked.length) {
      fill(errors, notice("error", "Select the variants to approve first (the checkbox on each card)."));
      return;
    }
    act(`approve ${picked.map((n) => `#${n}`).join(" ")}`, picked[0]);
  }

  function act(text, number) {
    send(text, { focusAfter: () => focusCard(number) });
  }

  function focusCard(number) {
    const target = number && variantsBox.querySelector(`article[data-number="${number}"] .variant-title`);
    const title = target || variantsBox.querySelector("#variants-title");
    if (title) {
      title.setAttribute("tabindex", "-1");
      title.focus();
    }
  }

  function editor(variant, number) {
    const id = `edit-${number}`;
    const area = h("textarea", { id, rows: 4, maxlength: 5000, value: variant.text });
    const problem = h("div", { "aria-live": "polite" });
    const save = h("button", { type: "submit", class: "primary" }, "Save and re-check");
    const form = h("form", { class: "variant editing", "data-number": number },
      h("label", { for: id }, `Edit variant #${number}`), area,
      h("p", { class: "help" }, "Saved text is checked again by the same agents: compliance, sense, form and scores."),
      problem,
      h("div", { class: "actions" }, save,
        h("button", { type: "button", onclick: () => { state.editing = null; drawVariants(); focusCard(number); } },
          "Cancel")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = area.value.trim();
      if (!text) {
        fill(problem, notice("error", "The text cannot be empty."));
        area.setAttribute("aria-invalid", "true");
        return;
      }
      save.disabled = true;
      fill(problem, notice("info", "Re-checking…"));
      try {
        const answer = await api(`/v1/chat/${encodeURIComponent(state.threadId)}/variants/${number}`,
          { method: "PUT", body: { text }, signal: abort.signal });
        state.variants = answer.variants || state.variants;
        state.editing = null;
        drawVariants();
        focusCard(number);
      } catch (err) {
        if (err.name === "AbortError") return;
        save.disabled = false;
        fill(problem, notice("error", err.fields.length ? err.fields.map((f) => f.message).join("; ") : err.message));
        area.setAttribute("aria-invalid", "true");
      }
    });
    return form;
  }

  function drawFollowups() {
    followups.hidden = !state.followups.length;
    fill(followups, h("h2", { class: "visually-hidden" }, "Suggested follow-ups"),
      h("ul", { class: "chips" }, state.followups.map((text) => h("li", {},
        h("button", { type: "button", class: "chip", onclick: () => act(text, null) }, text)))));
    if (state.busy) setBusy(true);
  }

  loadThreads();
  loadThread();
  return () => abort.abort();
}

const ORDER = ["product_name", "short_name", "brand", "sku", "category", "features", "attributes", "price", "currency",
  "audience", "channel", "tone", "target_sentiment", "cta_goal", "n_variants"];
const NAMES = { sku: "SKU", n_variants: "Variants", cta_goal: "CTA goal", target_sentiment: "Target sentiment" };

function rank(name) {
  const at = ORDER.indexOf(name);
  return at < 0 ? ORDER.length : at;
}

function fieldName(name) {
  return NAMES[name] || label(name);
}

function show(name, value) {
  if (name === "target_sentiment" && Array.isArray(value)) return `${value[0]} to ${value[1]}`;
  if (name === "channel" || name === "cta_goal") return String(value).replace(/_/g, " ");
  if (Array.isArray(value)) return value.join(", ");
  if (value && typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${v}`).join("; ");
  return String(value);
}
