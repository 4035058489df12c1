// The result page's charts, plain SVG and canvas: the embedding map (zoom, pan, hover shows the
// frame), the coverage curve against random, and a per-video timeline of the picks.
const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, parent = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (parent) parent.append(el);
  return el;
}

export const fmtTime = (s) => {
  const m = Math.floor(s / 60);
  return `${m}:${(s - 60 * m).toFixed(1).padStart(4, "0")}`;
};
export const fmtNum = (v) => (v == null ? "—" : Math.abs(v) >= 100 ? v.toFixed(0)
  : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2));

// -- tooltip (one, shared) -------------------------------------------------------------------
const tip = () => document.getElementById("tip");
export function showTip(ev, html, img = null) {
  const t = tip();
  t.replaceChildren();
  if (img) {
    const im = document.createElement("img");
    im.alt = "frame";
    Promise.resolve(img).then((src) => { if (src) im.src = src; });
    t.append(im);
  }
  const d = document.createElement("div");
  d.textContent = html;
  t.append(d);
  t.hidden = false;
  const x = Math.min(ev.clientX + 14, window.innerWidth - 250);
  const y = Math.min(ev.clientY + 14, window.innerHeight - 200);
  t.style.left = `${x}px`;
  t.style.top = `${y}px`;
}
export const hideTip = () => { tip().hidden = true; };

// -- embedding map -----------------------------------------------------------------------------
// data: the /map answer; frameSrc(row, pick) -> URL or Promise of one; onPick(pick) on click.
export function embeddingMap(container, data, { frameSrc, label, onPick }) {
  const wrap = document.createElement("div");
  wrap.className = "map-wrap";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `map of ${data.points.row.length} frames, ${data.picks.length} picks`);
  canvas.dataset.points = String(data.points.row.length);
  canvas.dataset.picks = String(data.picks.length);
  const tools = document.createElement("div");
  tools.className = "map-tools";
  const mk = (txt, title) => {
    const b = document.createElement("button");
    b.className = "btn ghost small";
    b.type = "button";
    b.textContent = txt;
    b.title = title;
    b.style.background = "#fff";
    tools.append(b);
    return b;
  };
  const zin = mk("+", "zoom in"), zout = mk("−", "zoom out"), zreset = mk("Reset", "whole map");
  wrap.append(canvas, tools);
  container.append(wrap);

  const P = data.points;
  const n = P.x.length;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, P.x[i]); maxX = Math.max(maxX, P.x[i]);
    minY = Math.min(minY, P.y[i]); maxY = Math.max(maxY, P.y[i]);
  }
  const spanX = maxX - minX || 1, spanY = maxY - minY || 1;
  let W = 0, H = 0, scale = 1, tx = 0, ty = 0;
  const base = () => {
    const pad = 24;
    const s = Math.min((W - 2 * pad) / spanX, (H - 2 * pad) / spanY);
    return { s, ox: (W - s * spanX) / 2, oy: (H - s * spanY) / 2 };
  };
  const toScreen = (x, y) => {
    const b = base();
    return [tx + scale * (b.ox + (x - minX) * b.s), ty + scale * (H - b.oy - (y - minY) * b.s)];
  };

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    W = canvas.clientWidth; H = canvas.clientHeight;
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    g.fillStyle = "rgba(120, 131, 156, 0.45)";
    const r = Math.min(4, 1.8 * Math.sqrt(scale));
    for (let i = 0; i < n; i++) {
      const [sx, sy] = toScreen(P.x[i], P.y[i]);
      if (sx < -5 || sy < -5 || sx > W + 5 || sy > H + 5) continue;
      g.beginPath(); g.arc(sx, sy, r, 0, 2 * Math.PI); g.fill();
    }
    g.font = "600 11px system-ui, sans-serif";
    for (const p of data.picks) {
      const [sx, sy] = toScreen(p.x, p.y);
      g.beginPath(); g.arc(sx, sy, 5.5, 0, 2 * Math.PI);
      g.fillStyle = "#e0412f"; g.fill();
      g.lineWidth = 1.5; g.strokeStyle = "#fff"; g.stroke();
      if (data.picks.length <= 40 || scale >= 2) {
        g.fillStyle = "#8f1f1f"; g.fillText(String(p.rank + 1), sx + 7, sy - 6);
      }
    }
  }

  function nearest(mx, my) {
    let best = null, bd = 12 * 12;
    for (const p of data.picks) {
      const [sx, sy] = toScreen(p.x, p.y);
      const d = (sx - mx) ** 2 + (sy - my) ** 2;
      if (d < bd) { bd = d; best = { pick: p, row: p.row }; }
    }
    if (best) return best;
    bd = 7 * 7;
    for (let i = 0; i < n; i++) {
      const [sx, sy] = toScreen(P.x[i], P.y[i]);
      const d = (sx - mx) ** 2 + (sy - my) ** 2;
      if (d < bd) { bd = d; best = { pick: null, row: P.row[i], i }; }
    }
    return best;
  }

  function zoomAt(f, mx, my) {
    const s2 = Math.max(0.5, Math.min(80, scale * f));
    const k = s2 / scale;
    tx = mx - k * (mx - tx); ty = my - k * (my - ty); scale = s2;
    canvas.dataset.zoom = scale.toFixed(2);
    draw();
  }
  let drag = null;
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const rc = canvas.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - rc.left, e.clientY - rc.top);
  }, { passive: false });
  canvas.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, moved: false }; });
  window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }, 0); });
  canvas.addEventListener("mousemove", (e) => {
    const rc = canvas.getBoundingClientRect();
    const mx = e.clientX - rc.left, my = e.clientY - rc.top;
    if (drag && (e.buttons & 1)) {
      tx += e.clientX - drag.x; ty += e.clientY - drag.y;
      drag.x = e.clientX; drag.y = e.clientY; drag.moved = true;
      hideTip(); draw(); return;
    }
    const hit = nearest(mx, my);
    if (!hit) { hideTip(); canvas.style.cursor = "crosshair"; return; }
    canvas.style.cursor = hit.pick ? "pointer" : "crosshair";
    showTip(e, label(hit), frameSrc(hit.row, hit.pick));
  });
  canvas.addEventListener("mouseleave", hideTip);
  canvas.addEventListener("click", (e) => {
    if (drag && drag.moved) return;
    const rc = canvas.getBoundingClientRect();
    const hit = nearest(e.clientX - rc.left, e.clientY - rc.top);
    if (hit && hit.pick && onPick) onPick(hit.pick);
  });
  const centre = (f) => zoomAt(f, W / 2, H / 2);
  zin.onclick = () => centre(1.5);
  zout.onclick = () => centre(1 / 1.5);
  zreset.onclick = () => { scale = 1; tx = 0; ty = 0; canvas.dataset.zoom = "1.00"; draw(); };
  new ResizeObserver(draw).observe(canvas);
  canvas.dataset.zoom = "1.00";
  canvas.farpointMap = { toScreen }; // where a point is drawn (used by the browser test)
  return { canvas, toScreen, draw };
}

// -- coverage curve (log y) ------------------------------------------------------------------
export function coverageChart(container, cov, methodName) {
  const W = Math.max(320, container.clientWidth - 40), H = 360, L = 56, R = 16, T = 14, B = 40;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
    "aria-label": "covering radius against k" }, container);
  const ks = cov.k;
  const all = [...cov.selection, ...cov.random].filter((v) => v > 0);
  const lo = Math.log10(Math.min(...all)), hi = Math.log10(Math.max(...all));
  const span = hi - lo || 1;
  const X = (k) => L + ((k - 1) / Math.max(1, ks.length - 1)) * (W - L - R);
  const Y = (v) => T + (1 - (Math.log10(Math.max(v, 1e-12)) - lo) / span) * (H - T - B);
  const grid = svg("g", {}, s);
  for (let i = 0; i <= 4; i++) {
    const v = 10 ** (lo + (span * i) / 4);
    const y = Y(v);
    svg("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#edf0f4" }, grid);
    svg("text", { x: L - 8, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#667085" }, grid)
      .textContent = fmtNum(v);
  }
  const step = Math.max(1, Math.ceil(ks.length / 8));
  for (let k = 1; k <= ks.length; k += step) {
    svg("text", { x: X(k), y: H - B + 18, "text-anchor": "middle", "font-size": 11, fill: "#667085" }, grid)
      .textContent = String(k);
  }
  svg("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", "font-size": 12, fill: "#475066" }, s)
    .textContent = "k (frames picked)";
  svg("text", { x: 14, y: (T + H - B) / 2, "text-anchor": "middle", "font-size": 12, fill: "#475066",
    transform: `rotate(-90 14 ${(T + H - B) / 2})` }, s).textContent = "covering radius";
  const line = (vals, color, cls) => svg("path", {
    d: vals.map((v, i) => `${i ? "L" : "M"}${X(i + 1).toFixed(1)},${Y(v).toFixed(1)}`).join(""),
    fill: "none", stroke: color, "stroke-width": 2.2, class: cls, "stroke-linejoin": "round" }, s);
  line(cov.random, "#2f7de0", "curve-random");
  line(cov.selection, "#e0412f", "curve-selection");
  const cursor = svg("line", { y1: T, y2: H - B, stroke: "#98a1b3", "stroke-dasharray": "3 3", visibility: "hidden" }, s);
  s.addEventListener("mousemove", (e) => {
    const rc = s.getBoundingClientRect();
    const x = ((e.clientX - rc.left) / rc.width) * W;
    const k = Math.min(ks.length, Math.max(1, Math.round(1 + ((x - L) / (W - L - R)) * (ks.length - 1))));
    cursor.setAttribute("x1", X(k)); cursor.setAttribute("x2", X(k)); cursor.setAttribute("visibility", "visible");
    showTip(e, `k = ${k}: ${methodName} ${fmtNum(cov.selection[k - 1])} · random ${fmtNum(cov.random[k - 1])}`);
  });
  s.addEventListener("mouseleave", () => { cursor.setAttribute("visibility", "hidden"); hideTip(); });
  return s;
}

// -- per-video timeline ----------------------------------------------------------------------
export function timeline(container, media, picks, { name, frameSrc, onPick }) {
  const box = document.createElement("div");
  box.className = "timeline";
  container.append(box);
  for (const m of media) {
    const mine = picks.filter((p) => p.media_id === m.id);
    const row = document.createElement("div");
    row.className = "tl-row";
    const nm = document.createElement("div");
    nm.className = "tl-name";
    nm.textContent = name(m.id);
    nm.title = `${name(m.id)}: ${m.frames} frames decoded, ${mine.length} picked`;
    row.append(nm);
    box.append(row);
    const W = Math.max(300, row.clientWidth - 192), H = 46, pad = 10;
    const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H,
      class: "tl", "data-media": m.id, "aria-label": `timeline of ${name(m.id)}` });
    const dur = m.duration_s || 1;
    const X = (t) => pad + (t / dur) * (W - 2 * pad);
    svg("rect", { x: pad, y: 16, width: W - 2 * pad, height: 14, rx: 3, fill: "#e8ebf1" }, s);
    for (let t = 0; t <= dur + 1e-9; t += niceStep(dur)) {
      svg("line", { x1: X(t), x2: X(t), y1: 30, y2: 34, stroke: "#98a1b3" }, s);
      svg("text", { x: X(t), y: 44, "font-size": 10, "text-anchor": "middle", fill: "#667085" }, s)
        .textContent = `${+t.toFixed(1)}s`;
    }
    for (const p of mine) {
      const g = svg("g", { class: "tick", cursor: "pointer" }, s);
      svg("rect", { x: X(p.timestamp_s) - 2.5, y: 10, width: 5, height: 26, rx: 1.5, fill: "#e0412f" }, g);
      svg("text", { x: X(p.timestamp_s), y: 8, "font-size": 10, "text-anchor": "middle", fill: "#8f1f1f",
        "font-weight": 600 }, g).textContent = String(p.rank + 1);
      g.addEventListener("mousemove", (e) => showTip(e,
        `#${p.rank + 1} · ${fmtTime(p.timestamp_s)} · frame ${p.frame_index}`, frameSrc(p.row, p)));
      g.addEventListener("mouseleave", hideTip);
      g.addEventListener("click", () => onPick(p));
    }
    row.append(s);
  }
}

function niceStep(d) {
  const raw = d / 8;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
