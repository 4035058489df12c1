// farpoint console: a single page, one view per hash route, no build step.
//   #/login         paste an API key (kept in sessionStorage only)
//   #/media         media list + upload straight to the store (presigned, progress bar)
//   #/jobs          jobs with live progress per stage (polls the job routes)
//   #/new           a selection job form; choices and defaults from GET /v1/options
//   #/jobs/<id>     one job: progress, then its picks (contact sheet, timeline, map, coverage,
//                   exports)
import { all, api, ApiError, blobUrl, download, session } from "./api.js";
import { coverageChart, embeddingMap, fmtNum, fmtTime, timeline } from "./charts.js";
import { uploadFile } from "./upload.js";

const $ = (sel, root = document) => root.querySelector(sel);
const view = () => $("#view");
let timer = null; // the polling of the current view, stopped when the route changes

function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style") el.style.cssText = v; // CSSOM: allowed by the page's CSP (no inline styles)
    else if (k === "html") el.innerHTML = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid != null) el.append(kid);
  return el;
}

function flash(message) {
  const f = $("#flash");
  f.textContent = message || "";
  f.hidden = !message;
}

function fail(e) {
  if (e instanceof ApiError && e.status === 401) {
    session.signOut();
    location.hash = "#/login";
    flash("Your API key was refused; sign in again.");
    return;
  }
  flash(e instanceof ApiError ? `${e.message}` : String(e));
}

const fmtBytes = (b) => {
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
  return `${b.toFixed(i ? 1 : 0)} ${u[i]}`;
};
const fmtDate = (ms) => new Date(ms).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
const shortId = (id) => id.slice(0, 8);

let optionsCache = null;
const options = async () => (optionsCache ??= await api("/v1/options"));
let mediaNames = new Map();
async function loadMedia() {
  const media = (await api("/v1/media?limit=1000")).items;
  mediaNames = new Map(media.map((m) => [m.id, m.filename]));
  return media;
}
const mediaName = (id) => mediaNames.get(id) || shortId(id);

function head(title, sub, ...right) {
  return h("div", { class: "page-head" },
    h("div", {}, h("h1", {}, title), sub ? h("div", { class: "muted small" }, sub) : null),
    h("div", { class: "spacer" }), ...right);
}

// -- login ---------------------------------------------------------------------------------------
function loginView() {
  $("#side").hidden = true;
  const input = h("input", { type: "password", id: "api-key", name: "api-key", autocomplete: "off",
    placeholder: "fp_…", required: true, style: "width:100%" });
  const form = h("form", { class: "card login", id: "login-form" },
    h("div", { class: "brand" }, h("span", { class: "brand-mark" }), "farpoint"),
    h("p", {}, "Pick the most valuable frames to label. Paste an API key to continue; it stays in this browser tab only and is sent with each request."),
    h("label", { class: "field" }, "API key", input),
    h("div", { class: "row", style: "margin-top:16px" },
      h("button", { class: "btn", type: "submit", id: "sign-in" }, "Sign in"),
      h("span", { class: "muted small" }, "Ask an admin for a key (farpoint admin keys create).")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    session.signIn(input.value.trim());
    try {
      optionsCache = null;
      await options();
      flash("");
      location.hash = "#/media";
    } catch (err) {
      session.signOut();
      flash(err instanceof ApiError && err.status === 401 ? "That API key was refused." : err.message);
    }
  });
  view().replaceChildren(form);
  input.focus();
}

// -- media + upload --------------------------------------------------------------------------
async function mediaView() {
  const [media, opts] = await Promise.all([loadMedia(), options()]);
  const file = h("input", { type: "file", id: "file", multiple: true, hidden: true,
    accept: "video/*,image/*,.zip,.tar,.tgz,.tar.gz" });
  const uploads = h("div", { class: "uploads", id: "uploads" });
  const drop = h("div", { class: "drop", id: "drop" },
    h("strong", {}, "Drop videos, images or archives here"), " or ",
    h("a", { href: "#", onclick: (e) => { e.preventDefault(); file.click(); } }, "choose files"),
    h("div", { class: "small", style: "margin-top:6px" },
      `Straight to the object store; up to ${fmtBytes(opts.limits.max_upload_bytes)} per file.`));
  const start = (files) => { for (const f of files) uploadOne(f, uploads); };
  file.addEventListener("change", () => start(file.files));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); start(e.dataTransfer.files); });

  const rows = media.map((m) => h("tr", {},
    h("td", {}, h("div", {}, m.filename), h("div", { class: "muted small mono" }, m.id)),
    h("td", {}, h("span", { class: `badge ${m.kind}` }, m.kind)),
    h("td", {}, fmtBytes(m.size)),
    h("td", { class: "muted" }, m.uri ? h("span", { class: "mono" }, m.uri) : "uploaded"),
    h("td", { class: "muted" }, fmtDate(m.created_ms))));
  const table = media.length
    ? h("table", { class: "list", id: "media-table" },
      h("thead", {}, h("tr", {}, ...["Name", "Kind", "Size", "Source", "Added"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows))
    : h("div", { class: "empty", id: "media-table" }, "No media yet: upload a video to start.");
  view().replaceChildren(
    head("Media", `${media.length} item${media.length === 1 ? "" : "s"} in this tenant`,
      h("a", { class: "btn", href: "#/new" }, "New job")),
    h("div", { class: "card" }, h("h2", {}, "Upload"), drop, file, uploads),
    h("div", { class: "card" }, h("h2", {}, "Media"), table));
}

function uploadOne(f, box) {
  const bar = h("i");
  const pct = h("span", { class: "small mono" }, "0%");
  const state = h("span", { class: "small muted" }, "starting…");
  const row = h("div", { class: "upload-row", "data-file": f.name },
    h("div", {}, h("div", {}, f.name), state),
    h("div", { class: "progress" }, bar), pct);
  box.append(row);
  const t0 = performance.now();
  uploadFile(f, (loaded, total) => {
    const p = total ? loaded / total : 0;
    bar.style.width = `${(100 * p).toFixed(1)}%`;
    pct.textContent = `${(100 * p).toFixed(0)}%`;
    const rate = loaded / Math.max(0.001, (performance.now() - t0) / 1000);
    state.textContent = `${fmtBytes(loaded)} of ${fmtBytes(total)} · ${fmtBytes(rate)}/s`;
  }).then((m) => {
    bar.style.width = "100%";
    pct.textContent = "100%";
    row.querySelector(".progress").classList.add("done");
    row.dataset.mediaId = m.id;
    row.classList.add("uploaded");
    state.textContent = `uploaded · ${m.kind} · ${fmtBytes(m.size)} · ${m.id}`;
    refreshMediaTable();
  }).catch((e) => {
    state.textContent = `failed: ${e.message}`;
    state.style.color = "var(--bad)";
    row.classList.add("failed");
  });
}

async function refreshMediaTable() {
  if (!location.hash.startsWith("#/media")) return;
  const keep = $("#uploads");
  await mediaView();
  $("#uploads").replaceWith(keep);
}

// -- jobs list -----------------------------------------------------------------------------------
const STAGES = ["ingest", "embedding", "normalization", "selection", "export"];

function stageBars(job) {
  return h("div", { class: "stages" }, STAGES.map((name) => {
    const st = job.stages?.[name] || {};
    let frac = st.done ? 1 : 0, lbl = name;
    if (name === "embedding" && st.of) { frac = Math.min(1, st.shards / st.of); lbl = `embed ${st.shards}/${st.of}`; }
    else if (name === "ingest" && !st.done && st.shards) { frac = 0.5; lbl = `ingest ${st.shards}`; }
    else if (name === "normalization") lbl = "normalize";
    return h("div", { class: `stage${st.done ? " done" : ""}`, "data-stage": name, title: name },
      h("div", { class: "bar" }, h("i", { style: `width:${(100 * frac).toFixed(0)}%` })),
      h("div", { class: "lbl" }, lbl));
  }));
}
const finished = (j) => j.status === "succeeded" || j.status === "failed";

async function jobsView() {
  const draw = async () => {
    const jobs = (await all("/v1/jobs")).reverse();
    const rows = jobs.map((j) => h("tr", { class: "click", "data-job": j.id, onclick: () => { location.hash = `#/jobs/${j.id}`; } },
      h("td", {}, h("div", { class: "mono" }, shortId(j.id)), h("div", { class: "muted small" }, j.kind)),
      h("td", {}, h("span", { class: `badge ${j.status}` }, j.status)),
      h("td", {}, j.kind === "select" ? stageBars(j) : h("span", { class: "muted" }, "training")),
      h("td", { class: "mono" }, `${Math.round(100 * j.progress)}%`),
      h("td", { class: "muted small" }, j.error || fmtDate(j.created_ms))));
    const table = jobs.length
      ? h("table", { class: "list", id: "jobs-table" },
        h("thead", {}, h("tr", {}, ...["Job", "Status", "Stages", "Progress", "Created / error"].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows))
      : h("div", { class: "empty", id: "jobs-table" }, "No jobs yet.");
    const live = jobs.filter((j) => !finished(j)).length;
    view().replaceChildren(
      head("Jobs", live ? `${live} running · updating live` : `${jobs.length} job${jobs.length === 1 ? "" : "s"}`,
        h("a", { class: "btn", href: "#/new" }, "New job")),
      h("div", { class: "card" }, table));
    if (live) timer = setTimeout(() => draw().catch(fail), 1500);
  };
  await draw();
}

// -- new job -------------------------------------------------------------------------------------
async function newJobView() {
  const [opts, media, models] = await Promise.all([options(), loadMedia(), api("/v1/models")]);
  const d = opts.defaults;
  const sel = (name, values, value, labels = {}) => h("select", { name, id: `f-${name}` },
    values.map((v) => h("option", { value: v, selected: v === value }, labels[v] || v)));
  const num = (name, value, attrs = {}) => h("input", { type: "number", name, id: `f-${name}`, value, ...attrs });
  const field = (label, input, hint) => h("label", { class: "field" }, label, input, hint ? h("span", { class: "hint" }, hint) : null);

  const pick = h("div", { class: "media-pick", id: "f-media" }, media.length
    ? media.map((m, i) => h("label", {},
      h("input", { type: "checkbox", name: "media", value: m.id, checked: i === 0 && media.length === 1 }),
      h("span", {}, m.filename), h("span", { class: "badge" }, m.kind),
      h("span", { class: "muted small mono", style: "margin-left:auto" }, fmtBytes(m.size))))
    : h("div", { class: "empty" }, h("a", { href: "#/media" }, "Upload media first")));
  const method = sel("method", opts.methods.map((m) => m.name), opts.default_method);
  const note = h("div", { class: "method-note", id: "method-note" });
  const showNote = () => {
    const m = opts.methods.find((x) => x.name === method.value);
    note.textContent = m ? `${m.summary} (${m.reference})` : "";
  };
  method.addEventListener("change", showNote);
  showNote();
  const embedder = sel("embedder", opts.embedders.map((e) => e.name), opts.default_embedder);
  const model = sel("model", ["", ...models.items.map((m) => m.name)], "", { "": "— none —" });
  const modelField = field("Model", model, "a model trained by a training job");
  const syncModel = () => {
    const needs = opts.embedders.find((e) => e.name === embedder.value)?.needs_model;
    modelField.style.display = needs ? "" : "none";
  };
  embedder.addEventListener("change", syncModel);
  syncModel();
  const quality = h("input", { type: "checkbox", name: "quality", id: "f-quality", checked: d.quality_filter });

  const form = h("form", { class: "card", id: "job-form" },
    h("h2", {}, "Media"), pick,
    h("h2", { style: "margin-top:18px" }, "Selection"),
    h("div", { class: "form-grid" },
      field("Frames to pick (k)", num("k", 100, { min: 1, max: opts.limits.max_k, required: true }),
        `at most ${opts.limits.max_k}`),
      h("div", {}, field("Method", method), note),
      field("Embedder", embedder, "how frames become vectors"),
      modelField,
      field("Normalization", sel("normalize", opts.normalizations, opts.default_normalize),
        "umap: the paper's choice; the default follows docs/quality.md")),
    h("details", { class: "adv" }, h("summary", {}, "Advanced"),
      h("div", { class: "form-grid" },
        field("Frame-rate cap (fps)", num("fps", d.fps, { min: 0, step: "any" }), "0 = every frame"),
        field("Decode width (px)", num("width", d.width, { min: 0, max: 8192 }), "0 = full size"),
        field("Dimensions", num("dims", d.dims, { min: 1, max: 1024 }), "of the normalized space"),
        field("Seed", num("seed", d.seed, { min: 0 })),
        field("Backend", sel("backend", opts.backends, d.backend)),
        field("Picks per video (max)", num("group_quota", "", { min: 1, placeholder: "no limit" })),
        field("Seconds between picks", num("min_gap_s", "", { min: 0, step: "any", placeholder: "none" })),
        h("label", { class: "field" }, "Quality filter",
          h("span", { class: "row" }, quality, h("span", { class: "hint" }, "drop dark, blurred, frozen frames"))))),
    h("div", { class: "row", style: "margin-top:18px" },
      h("button", { class: "btn", type: "submit", id: "submit-job" }, "Start job"),
      h("span", { class: "muted small" },
        `Defaults (from the measured evidence, docs/quality.md): ${opts.default_method}, ` +
        `${opts.default_embedder}, ${opts.default_normalize} to ${d.dims} dims, width ${d.width} px, ` +
        `at most ${d.fps} fps.`)));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const ids = f.getAll("media");
    if (!ids.length) { flash("Choose at least one medium."); return; }
    const body = {
      media_ids: ids, k: +f.get("k"), method: f.get("method"), embedder: f.get("embedder"),
      normalize: f.get("normalize"), fps: +f.get("fps"), width: +f.get("width"), dims: +f.get("dims"),
      seed: +f.get("seed"), backend: f.get("backend"),
      quality_filter: { enabled: quality.checked },
    };
    if (f.get("model")) body.model = f.get("model");
    if (f.get("group_quota")) body.group_quota = +f.get("group_quota");
    if (f.get("min_gap_s")) body.min_gap_s = +f.get("min_gap_s");
    $("#submit-job").disabled = true;
    try {
      const { id } = await api("/v1/jobs", { method: "POST", body });
      flash("");
      location.hash = `#/jobs/${id}`;
    } catch (err) {
      $("#submit-job").disabled = false;
      fail(err);
    }
  });
  view().replaceChildren(head("New selection job", "Choose media and how many frames to pick"), form);
}

// -- one job -------------------------------------------------------------------------------------
async function jobView(id) {
  const job = await api(`/v1/jobs/${encodeURIComponent(id)}`);
  const status = h("span", { class: `badge ${job.status}`, id: "job-status" }, job.status);
  const top = head(`Job ${shortId(id)}`, h("span", { class: "mono" }, id), status);
  if (job.status !== "succeeded") {
    view().replaceChildren(top,
      h("div", { class: "card" }, h("h2", {}, "Progress"), stageBars(job),
        h("div", { class: "progress", style: "margin-top:14px" }, h("i", { style: `width:${100 * job.progress}%` })),
        job.error ? h("p", { style: "color:var(--bad)" }, `Failed: ${job.error}`) : h("p", { class: "muted" }, `${Math.round(100 * job.progress)}% · updating live`)));
    if (!finished(job)) timer = setTimeout(() => route(), 1200);
    return;
  }
  const [result, map, opts] = await Promise.all([
    api(`/v1/jobs/${id}/result`), api(`/v1/jobs/${id}/map`), options(), loadMedia()]);
  const urlOf = new Map(result.items.map((it) => [it.rank, it.url]));
  const thumbs = new Map();
  const frameSrc = (row, pick) => {
    if (pick && urlOf.get(pick.rank)) return urlOf.get(pick.rank);
    if (!thumbs.has(row)) thumbs.set(row, blobUrl(`/v1/jobs/${id}/frames/${row}`).then((b) => b.url).catch(() => null));
    return thumbs.get(row);
  };
  const focus = (p) => {
    const card = document.getElementById(`pick-${p.rank}`);
    if (!card) return;
    card.scrollIntoView({ behavior: "smooth", block: "center" });
    card.classList.add("flash-on");
    setTimeout(() => card.classList.remove("flash-on"), 1400);
  };
  const nameOfRow = (hit) => {
    if (hit.pick) return `#${hit.pick.rank + 1} · ${mediaName(hit.pick.media_id)} · ${fmtTime(hit.pick.timestamp_s)} · distance ${fmtNum(hit.pick.distance)}`;
    const P = map.points;
    return `${mediaName(map.media[P.media[hit.i]].id)} · ${fmtTime(P.timestamp_s[hit.i])} · frame ${P.frame_index[hit.i]}`;
  };

  const exports = h("div", { class: "exports", id: "exports" }, opts.formats.map((f) =>
    h("button", { class: "btn export", type: "button", "data-format": f.name, title: `${f.summary} — ${f.tool}`,
      onclick: async (e) => {
        e.target.disabled = true;
        try { await download(`/v1/jobs/${id}/exports/${f.name}`, f.file); } catch (err) { fail(err); }
        e.target.disabled = false;
      } }, f.name)));
  const sheet = h("div", { class: "sheet", id: "sheet" }, result.items.map((it) =>
    h("figure", { class: "shot", id: `pick-${it.rank}`, "data-rank": it.rank },
      h("img", { src: it.url, alt: `pick ${it.rank + 1}`, loading: "eager" }),
      h("span", { class: "dist", title: "distance to the earlier picks when picked" },
        it.distance == null ? "first" : `d ${fmtNum(it.distance)}`),
      h("figcaption", {},
        h("span", { class: "rank" }, `#${it.rank + 1}`),
        h("span", { class: "src", title: mediaName(it.media_id) }, mediaName(it.media_id)),
        h("span", { class: "meta" }, `${fmtTime(it.timestamp_s)} · frame ${it.frame_index}`)))));
  const last = map.coverage.selection.at(-1), lastR = map.coverage.random.at(-1);
  const stats = h("div", { class: "stats" },
    [[result.items.length, "frames picked"], [map.n_frames, "frames decoded"], [map.media.length, "media"],
      [map.method, "method"], [fmtNum(last), "covering radius"],
      [lastR ? `${(lastR / last).toFixed(1)}×` : "—", "tighter than random"]]
      .map(([v, l]) => h("div", { class: "stat" }, h("b", {}, String(v)), h("span", {}, l))));

  const tl = h("div", { class: "card" }, h("h2", {}, "Where the picks fall"));
  const mapCard = h("div", { class: "card" }, h("h2", {}, "Embedding map"));
  const covCard = h("div", { class: "card" }, h("h2", {}, "Coverage against random"));
  view().replaceChildren(top,
    h("div", { class: "card" }, h("div", { class: "row" }, stats, h("div", { class: "spacer", style: "flex:1" }),
      h("div", {}, h("div", { class: "muted small", style: "margin-bottom:6px" }, "Export for a labeling tool"), exports))),
    h("div", { class: "card" }, h("h2", {}, `Picks (${result.items.length}), in pick order`), sheet),
    tl,
    h("div", { class: "grid2" }, mapCard, covCard));
  timeline(tl, map.media, map.picks, { name: mediaName, frameSrc, onPick: focus });
  embeddingMap(mapCard, map, { frameSrc, label: nameOfRow, onPick: focus });
  mapCard.append(h("div", { class: "legend" },
    h("span", {}, h("i", { class: "dot", style: "background:#78839c" }), `frames (${map.points.row.length}${map.points.row.length < map.n_frames ? ` of ${map.n_frames}` : ""})`),
    h("span", {}, h("i", { class: "dot", style: "background:#e0412f" }), `picks (${map.picks.length})`),
    h("span", {}, "scroll to zoom · drag to pan · hover for the frame")));
  coverageChart(covCard, map.coverage, map.method);
  covCard.append(h("div", { class: "legend" },
    h("span", {}, h("i", { class: "dot", style: "background:#e0412f" }), map.method),
    h("span", {}, h("i", { class: "dot", style: "background:#2f7de0" }), "random"),
    h("span", {}, "largest distance from any frame to its nearest pick (log)")));
}

// -- router --------------------------------------------------------------------------------------
async function route() {
  clearTimeout(timer);
  const hash = location.hash || "#/media";
  if (!session.key() && hash !== "#/login") { location.hash = "#/login"; return; }
  if (hash === "#/login") return loginView();
  $("#side").hidden = false;
  $("#who").textContent = `signed in · key …${session.key().slice(-4)}`;
  const [, page, arg] = hash.split("/");
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === page && !(page === "jobs" && arg));
  }
  try {
    if (page === "media") await mediaView();
    else if (page === "jobs" && arg) await jobView(decodeURIComponent(arg));
    else if (page === "jobs") await jobsView();
    else if (page === "new") await newJobView();
    else location.hash = "#/media";
    document.body.dataset.view = page + (arg ? "-detail" : "");
  } catch (e) {
    fail(e);
  }
}

window.addEventListener("hashchange", () => { flash(""); route(); });
$("#logout").addEventListener("click", () => { session.signOut(); optionsCache = null; location.hash = "#/login"; });
route();
