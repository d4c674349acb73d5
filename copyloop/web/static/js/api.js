// The HTTP API as the page uses it: the key from sessionStorage on every call, errors as ApiError, and SSE read
// from a POST response (EventSource only does GET) with fetch + ReadableStream.

const KEY = "copyloop.key";
const BRAND = "copyloop.brand";

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  get brand() { return sessionStorage.getItem(BRAND); },
  save(key, brand) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(BRAND, brand);
  },
  clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(BRAND);
  },
};

/** An error the API answered: `status`, the body (`{error, detail}`), and a readable message. */
export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.body = body;
  }

  /** The per-field problems of a 422: [{field, message, input}] (empty when the detail is a sentence). */
  get fields() {
    const detail = this.body && this.body.detail;
    return Array.isArray(detail) ? detail : [];
  }
}

function describe(status, body) {
  if (body && typeof body === "object") {
    const detail = body.detail;
    if (Array.isArray(detail) && detail.length) {
      return `${body.error || "invalid request"}: ` + detail.map((d) => `${d.field}: ${d.message}`).join("; ");
    }
    if (body.error) return String(body.error);
    if (typeof detail === "string") return detail;
  }
  return `the server answered ${status}`;
}

let onUnauthorized = () => {};
/** What to do when the key stops working (revoked while the page is open): the app logs out. */
export function whenUnauthorized(handler) { onUnauthorized = handler; }

function headers(key, json) {
  const result = { Accept: "application/json" };
  if (key) result.Authorization = `Bearer ${key}`;
  if (json) result["Content-Type"] = "application/json";
  return result;
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: text.slice(0, 300) };
  }
}

/**
 * Call the API: api("/v1/library"), api("/v1/chat", {method: "POST", body: {...}}). Resolves to the JSON body;
 * `raw: true` resolves to {status, body, headers} instead (for 202 answers). Throws ApiError on 4xx/5xx.
 */
export async function api(path, { method = "GET", body, signal, key = session.key, raw = false } = {}) {
  const response = await fetch(path, {
    method, signal, headers: headers(key, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await readBody(response);
  if (!response.ok) {
    if (response.status === 401 && key === session.key) onUnauthorized();
    throw new ApiError(response.status, data);
  }
  return raw ? { status: response.status, body: data, headers: response.headers } : data;
}

/**
 * POST `body` to an SSE endpoint and call onEvent(name, data) for each event as it arrives (data JSON-parsed when
 * it is JSON). Resolves when the stream ends; throws ApiError when the server refuses the request itself.
 */
export async function stream(path, body, onEvent, { signal, key = session.key } = {}) {
  const response = await fetch(path, {
    method: "POST", signal,
    headers: { ...headers(key, true), Accept: "text/event-stream" },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const data = await readBody(response);
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, data);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      dispatch(block, onEvent);
    }
  }
  if (buffer.trim()) dispatch(buffer, onEvent);
}

/** One SSE event block: `event:` names it (default "message"), `data:` lines are joined; comments are skipped. */
export function dispatch(block, onEvent) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return;
  const text = data.join("\n");
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text data stays text
  }
  onEvent(name, parsed);
}

/** The API's OpenAPI document, fetched once (no key needed). */
let openapi;
export function openApi() {
  openapi = openapi || fetch("/openapi.json").then((r) => {
    if (!r.ok) throw new Error(`/openapi.json answered ${r.status}`);
    return r.json();
  });
  return openapi;
}
