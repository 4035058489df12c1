// The REST API as the console uses it: every request carries the API key the user pasted, kept
// in this tab's sessionStorage only (gone when the tab closes; never in localStorage or a cookie).
const KEY = "farpoint.apiKey";

export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(extra = {}) {
  const h = { ...extra };
  const key = session.key();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

// fetch() a route; JSON in and out; a refusal becomes an ApiError with the server's one-line
// message (the error envelope {"error": {"status", "code", "message"}}).
export async function api(path, { method = "GET", body, raw = false } = {}) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "network", `the gateway is unreachable (${e.message})`);
  }
  if (!r.ok) {
    let code = "http", message = `${r.status} ${r.statusText}`;
    try {
      const e = (await r.json()).error;
      code = e.code;
      message = e.message;
    } catch { /* not the envelope */ }
    throw new ApiError(r.status, code, message);
  }
  return raw ? r : r.json();
}

// Every page of a cursor-paged list route.
export async function all(path, pageSize = 500) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (cursor) q.set("cursor", cursor);
    const page = await api(`${path}?${q}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// A route's bytes as an object URL (for <img> of authenticated routes, and downloads).
export async function blobUrl(path) {
  const r = await api(path, { raw: true });
  return { url: URL.createObjectURL(await r.blob()), response: r };
}

// Save a route's answer as a file, named by its Content-Disposition.
export async function download(path, fallbackName) {
  const { url, response } = await blobUrl(path);
  const cd = response.headers.get("Content-Disposition") || "";
  const m = /filename="([^"]+)"/.exec(cd);
  const a = document.createElement("a");
  a.href = url;
  a.download = m ? m[1] : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return a.download;
}
