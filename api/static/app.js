// Officer console: plain JavaScript over /api/v1 (no framework, no CDN, no build step).
// Every request carries the API key from sessionStorage; data is put on the page with textContent only.
"use strict";

const API = "/api/v1";
const KEY = "anpr.apiKey";
const $ = (id) => document.getElementById(id);
const images = new Map(); // evidence url -> Promise<ImageBitmap>
const state = { cursor: null, searchUrl: null, discrepancyOffset: 0, reviewCursor: null };
const REVIEW_REASONS = {
  no_plate: "no plate read",
  plate_invalid: "the plate read breaks the plate rules",
  plate_unsure: "the plate was read with low confidence",
  container_unverified: "a container number fails its check digit",
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY) || ""}`, ...(options.headers || {}) };
  const answer = await fetch(API + path, { ...options, headers });
  if (answer.status === 401) { signOut("Your key was refused; sign in again."); throw new Error("not signed in"); }
  if (!answer.ok) {
    let reason = `${answer.status} ${answer.statusText}`;
    try { reason = (await answer.json()).detail || reason; } catch (e) { /* not JSON */ }
    throw new Error(reason);
  }
  return options.raw ? answer : answer.json();
}

const time = (iso) => (iso ? new Date(iso).toLocaleString("sv-SE", { hour12: false }) : "-");
const pct = (x) => (x === null || x === undefined ? "-" : `${(x * 100).toFixed(1)} %`);
const badge = (status) => el("span", { class: `badge ${status}` }, status.replace("_", " "));

function dayStart(value) { return value ? new Date(`${value}T00:00:00`).toISOString() : null; }
function dayEnd(value) { return value ? new Date(`${value}T23:59:59.999`).toISOString() : null; }
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else if (v !== null && v !== undefined && v !== "" && v !== false) q.set(k, v);
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

// --- sign in -------------------------------------------------------------------------------------

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    const me = await api("/me");
    $("who-name").textContent = `${me.name} (${me.role})`;
    $("who").hidden = false;
    $("sign-in").hidden = true;
    $("console").hidden = false;
    $("sign-in-error").textContent = "";
  } catch (error) {
    sessionStorage.removeItem(KEY);
    $("sign-in-error").textContent = `Sign-in failed: ${error.message}`;
  }
}

function signOut(message = "") {
  sessionStorage.removeItem(KEY);
  images.clear();
  $("console").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
}

function show(view) {
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.view === view));
  document.querySelectorAll(".view").forEach((v) => { v.hidden = v.id !== `view-${view}`; });
  if (view === "discrepancies") loadDiscrepancies(true);
  if (view === "review") loadReview(true);
  if (view === "cameras") loadCameras();
}

// --- evidence on a canvas ----------------------------------------------------------------------

function bitmap(url) {
  if (!images.has(url)) {
    images.set(url, fetch(url, { headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY)}` } })
      .then((r) => { if (!r.ok) throw new Error(`image ${r.status}`); return r.blob(); })
      .then((blob) => createImageBitmap(blob)));
  }
  return images.get(url);
}

function evidenceCanvas(evidence, width) {
  const scale = width / evidence.width;
  const canvas = el("canvas", { class: "evidence", width: String(width), height: String(Math.round(evidence.height * scale)),
    "data-evidence": String(evidence.id), title: `${evidence.camera} ${time(evidence.taken_at)}` });
  const ctx = canvas.getContext("2d");
  bitmap(evidence.url).then((image) => {
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    ctx.lineWidth = Math.max(2, width / 300);
    ctx.strokeStyle = "#ffd400";
    for (const [x1, y1, x2, y2] of evidence.boxes) ctx.strokeRect(x1 * scale, y1 * scale, (x2 - x1) * scale, (y2 - y1) * scale);
    canvas.dataset.drawn = "1";
  }).catch((error) => {
    ctx.fillStyle = "#fff";
    ctx.fillText(`image unavailable: ${error.message}`, 8, 16);
    canvas.dataset.drawn = "error";
  });
  return canvas;
}

// --- search and timeline -----------------------------------------------------------------------

function searchUrl() {
  const text = $("search-text").value.trim();
  const params = { from: dayStart($("search-from").value), to: dayEnd($("search-to").value),
    direction: $("search-direction").value, limit: 20 };
  if ($("search-kind").value === "container") return `/containers/${encodeURIComponent(text)}/movements${query(params)}`;
  const fuzzy = $("search-fuzzy").checked;
  return `/vehicles/${encodeURIComponent(text)}/entries${query({ ...params, fuzzy, raw: fuzzy })}`;
}

async function search(reset) {
  if (reset) { state.searchUrl = searchUrl(); state.cursor = null; $("timeline").replaceChildren(); }
  const url = state.searchUrl + (state.cursor ? `&cursor=${encodeURIComponent(state.cursor)}` : "");
  $("search-message").textContent = "Searching...";
  try {
    const page = await api(url);
    page.items.forEach((item) => $("timeline").append(timelineItem(item)));
    state.cursor = page.next_cursor;
    $("more").hidden = !page.next_cursor;
    const count = $("timeline").children.length;
    $("search-message").textContent = count ? `${count} pass${count === 1 ? "" : "es"} shown, newest first.` : "No passes found.";
    if (!count && $("search-kind").value === "plate") suggest();
  } catch (error) {
    $("search-message").textContent = error.message;
    $("more").hidden = true;
  }
}

async function suggest() {
  try {
    const text = encodeURIComponent($("search-text").value.trim());
    const found = await api(`/vehicles/${text}/suggestions?raw=true`);
    if (!found.length) return;
    const links = found.map((s) => el("a", { href: "#", onclick: (e) => { e.preventDefault(); $("search-text").value = s.plate; search(true); } },
      `${s.plate} (${s.passes})`));
    $("search-message").replaceChildren("No passes found. Did you mean: ", ...links.flatMap((a, i) => (i ? [", ", a] : [a])));
  } catch (error) { /* suggestions are a convenience */ }
}

function timelineItem(s) {
  const thumbs = el("div", { class: "thumbs" });
  const item = el("li", { class: s.direction, "data-event": s.event_id, onclick: () => openEvent(s.event_id) },
    el("div", {}, el("div", { class: "when" }, time(s.first_seen)), el("div", {}, `${s.direction} - ${s.lane}`)),
    el("div", {},
      el("div", { class: "plate" }, s.plate_formatted || s.plate || "no plate read",
        s.trailer_plate ? ` + ${s.trailer_plate}` : ""),
      el("div", {}, s.containers.length ? s.containers.join(", ") : "no container"),
      s.distance ? el("div", { class: "hint" }, `read ${s.matched_plate}, distance ${s.distance}`) : null,
      el("div", {}, badge(s.status), " ", el("span", { class: "hint" }, s.status_reason))),
    thumbs);
  const reviewLine = el("div", { class: "hint review-line" });
  item.children[1].append(reviewLine);
  api(`/events/${encodeURIComponent(s.event_id)}`)
    .then((d) => {
      d.evidence.slice(0, 2).forEach((e) => thumbs.append(evidenceCanvas(e, 200)));
      const last = d.reviews[d.reviews.length - 1];
      if (last) reviewLine.textContent = `reviewed: ${last.verdict}${corrections(last) ? ` to ${corrections(last)}` : ""}`;
      else if (d.review.length) reviewLine.replaceChildren(el("span", { class: "bad" }, "needs review: "),
        d.review.map((r) => REVIEW_REASONS[r] || r).join("; "));
    })
    .catch(() => thumbs.append(el("span", { class: "hint" }, "no images")));
  return item;
}

// --- event and declaration detail --------------------------------------------------------------

function readsTable(event) {
  const rows = [];
  const add = (field, reads) => reads.forEach((r) => rows.push(el("tr", {}, el("td", {}, field), el("td", {}, r.camera),
    el("td", {}, time(r.timestamp)), el("td", { class: "plate" }, r.text), el("td", {}, r.confidence.toFixed(2)),
    el("td", { class: r.valid ? "ok" : "bad" }, r.valid ? "valid" : "invalid"))));
  if (event.plate) add("plate", event.plate.reads);
  if (event.trailer_plate) add("trailer plate", event.trailer_plate.reads);
  event.containers.forEach((c, i) => add(`container ${i + 1} (${c.number})`, c.reads));
  return el("table", { class: "grid reads" },
    el("thead", {}, el("tr", {}, ["Field", "Camera", "Time", "Read", "Confidence", "Grammar"].map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: "6" }, "no reads"))));
}

function findingsList(findings) {
  return el("ul", { class: "findings" }, findings.map((f) => el("li", { class: "finding" },
    el("span", { class: f.ok ? "ok" : "bad" }, f.ok ? "pass " : "FAIL "), el("code", {}, f.rule), " ",
    f.fields.length ? `[${f.fields.join(", ")}] ` : "", f.reason, " ",
    f.declaration_number ? el("a", { href: "#", onclick: (e) => { e.preventDefault(); openDeclaration(f.declaration_number); } },
      `declaration ${f.declaration_number}`) : null)));
}

async function openEvent(eventId) {
  const body = $("detail-body");
  body.replaceChildren(el("p", {}, "Loading..."));
  if (!$("detail").open) $("detail").showModal();
  try {
    const d = await api(`/events/${encodeURIComponent(eventId)}`);
    const s = d.summary;
    body.replaceChildren(
      el("h2", {}, `${s.plate_formatted || s.plate || "no plate"} - ${s.direction} - ${time(s.first_seen)}`),
      el("p", {}, badge(s.status), " ", s.status_reason, el("br"), `event ${s.event_id}, lane ${s.lane}, checked ${time(d.checked_at)}`),
      d.review.length && !d.reviews.length ? el("p", { class: "review" }, el("span", { class: "bad" }, "Needs review: "),
        d.review.map((r) => REVIEW_REASONS[r] || r).join("; "), ". Check the reads against the evidence.") : null,
      el("h3", {}, "Evidence"),
      el("div", { class: "thumbs" }, d.evidence.length ? d.evidence.map((e) => evidenceCanvas(e, e.kind === "crop" ? 300 : 520)) : "no images kept"),
      el("h3", {}, "Reads"), readsTable(d.event),
      el("h3", {}, "Cross-check"), d.findings.length ? findingsList(d.findings) : el("p", {}, "not checked yet"),
      el("h3", {}, "Officer review"), reviewsList(d.reviews), reviewForm(eventId));
  } catch (error) {
    body.replaceChildren(el("p", { class: "error" }, error.message));
  }
}

function reviewsList(reviews) {
  if (!reviews.length) return el("p", { class: "hint" }, "Not reviewed.");
  return el("ul", { class: "reviews" }, reviews.map((r) => el("li", { class: "review-entry" },
    `${time(r.reviewed_at)} ${r.reviewer}: ${r.verdict}`, corrections(r) ? ` to ${corrections(r)}` : "",
    r.note ? ` - ${r.note}` : "")));
}

function corrections(r) {
  const parts = r.plate ? [r.plate_formatted || r.plate] : [];
  r.containers.forEach((c) => parts.push(c.check_digit_ok ? c.number : `${c.number} (check digit fails)`));
  return parts.join(", ");
}

function reviewForm(eventId) {
  const plate = el("input", { id: "review-plate", placeholder: "plate as you read it", "aria-label": "Corrected plate" });
  const boxes = el("input", { id: "review-containers", placeholder: "container numbers, comma-separated",
    "aria-label": "Corrected container numbers" });
  const note = el("input", { id: "review-note", placeholder: "note (optional)", "aria-label": "Note", maxlength: "2000" });
  const message = el("p", { id: "review-error", class: "error", role: "alert" });
  const send = async (verdict) => {
    const body = { verdict, note: note.value.trim() };
    if (verdict === "corrected") {
      if (plate.value.trim()) body.plate = plate.value.trim();
      const numbers = boxes.value.split(",").map((x) => x.trim()).filter((x) => x);
      if (numbers.length) body.containers = numbers;
    }
    try {
      await api(`/events/${encodeURIComponent(eventId)}/reviews`, { method: "POST", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json" } });
      await openEvent(eventId);
      if (!$("view-review").hidden) loadReview(true);
    } catch (error) {
      message.textContent = error.message;
    }
  };
  return el("div", { class: "card row review-form" },
    el("button", { type: "button", "data-verdict": "confirmed", onclick: () => send("confirmed") }, "Reads are right"),
    plate, boxes, el("button", { type: "button", "data-verdict": "corrected", onclick: () => send("corrected") }, "Correct"),
    el("button", { type: "button", "data-verdict": "illegible", onclick: () => send("illegible") }, "Illegible"),
    note, message);
}

async function openDeclaration(number) {
  const body = $("detail-body");
  if (!$("detail").open) $("detail").showModal();
  try {
    const [detail, check] = await Promise.all([api(`/declarations/${number}`), api(`/declarations/${number}/crosscheck`)]);
    const d = detail.declaration;
    body.replaceChildren(
      el("h2", {}, `Declaration ${d.number} (${d.type_code}, ${d.direction})`),
      el("p", {}, badge(d.status), " ", d.status_reason, el("br"),
        `valid ${time(d.valid_from)} to ${time(d.valid_to)}, office ${d.office_code}, location ${d.location_code}`),
      el("p", {}, `Plates: ${d.plates.map((p) => p.formatted).join(", ") || "none"}; containers: `,
        d.containers.map((c) => `${c.number}${c.seal ? ` (seal ${c.seal})` : ""}`).join(", ") || "none"),
      el("h3", {}, "Cross-check"), findingsList(check.findings),
      el("h3", {}, "Passes"), el("ol", { class: "timeline" }, check.events.map(timelineItem)),
      el("p", { class: "hint" }, `${detail.history.length} version(s) on file.`));
  } catch (error) {
    body.replaceChildren(el("p", { class: "error" }, error.message));
  }
}

// --- discrepancies, cameras, report, export ----------------------------------------------------

async function loadDiscrepancies(reset) {
  if (reset) { state.discrepancyOffset = 0; $("discrepancy-rows").replaceChildren(); }
  const status = [...document.querySelectorAll("input[name=dstatus]:checked")].map((c) => c.value);
  try {
    const page = await api(`/discrepancies${query({ status, limit: 50, offset: state.discrepancyOffset })}`);
    page.items.forEach((d) => $("discrepancy-rows").append(el("tr", { class: "link", "data-ref": d.ref,
      onclick: () => (d.kind === "event" ? openEvent(d.ref) : openDeclaration(d.ref)) },
    el("td", {}, time(d.at)), el("td", {}, d.kind), el("td", {}, d.ref), el("td", {}, badge(d.status)), el("td", {}, d.reason))));
    state.discrepancyOffset = page.next_offset || 0;
    $("discrepancies-more").hidden = !page.next_offset;
  } catch (error) {
    $("discrepancy-rows").replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "error" }, error.message)));
  }
}

async function loadReview(reset) {
  if (reset) { state.reviewCursor = null; $("review-list").replaceChildren(); }
  const params = { needs_review: true, from: dayStart($("review-from").value), to: dayEnd($("review-to").value),
    limit: 20, cursor: state.reviewCursor };
  $("review-message").textContent = "Loading...";
  try {
    const page = await api(`/events${query(params)}`);
    page.items.forEach((item) => $("review-list").append(timelineItem(item)));
    state.reviewCursor = page.next_cursor;
    $("review-more").hidden = !page.next_cursor;
    const count = $("review-list").children.length;
    $("review-message").textContent = count ? `${count} pass${count === 1 ? "" : "es"} to review, newest first.` : "Nothing to review.";
  } catch (error) {
    $("review-message").textContent = error.message;
    $("review-more").hidden = true;
  }
}

async function loadCameras() {
  try {
    const cameras = await api("/cameras");
    const rows = await Promise.all(cameras.map(async (c) => {
      const h = await api(`/cameras/${c.id}/health`).catch(() => null);
      return el("tr", {}, el("td", {}, c.name, c.enabled ? "" : " (disabled)"), el("td", {}, c.lane), el("td", {}, c.direction),
        el("td", {}, h ? `${pct(h.uptime)} (${h.samples} heartbeats)` : "-"), el("td", {}, String(c.frames_processed)),
        el("td", {}, time(c.last_frame_at)), el("td", {}, time(c.last_heartbeat_at)));
    }));
    $("camera-rows").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "7" }, "No cameras registered."))]));
  } catch (error) {
    $("camera-rows").replaceChildren(el("tr", {}, el("td", { colspan: "7", class: "error" }, error.message)));
  }
}

async function loadReport() {
  const quarter = $("report-quarter").value.trim();
  try {
    const r = await api(`/reports/camera-compliance${query({ quarter })}`);
    $("report-summary").replaceChildren(`${r.quarter.label}: `, el("span", { class: r.ok ? "ok" : "bad" }, r.ok ? "all checks passed" : "attention needed"),
      ` (retention ${r.retention_months} months)`);
    $("report-rows").replaceChildren(...r.cameras.map((c) => el("tr", {}, el("td", {}, c.name),
      el("td", {}, pct(c.uptime)), el("td", {}, `${c.frames_in_quarter} / ${c.frames_total}`), el("td", {}, time(c.last_frame_at)),
      el("td", {}, `${pct(c.legibility)} (${c.legible_passes}/${c.passes})`,
        c.reviewed_passes ? el("div", { class: "hint" }, `officers: ${c.illegible_by_officers} of ${c.reviewed_passes} reviewed illegible`) : null),
      el("td", {}, time(c.oldest_image_at)),
      el("td", { class: c.retention_status === "ok" && !c.overdue_images ? "ok" : "bad" }, `${c.retention_status}${c.overdue_images ? `, ${c.overdue_images} overdue` : ""}`),
      el("td", { class: c.export_self_test.ok ? "ok" : "bad" }, c.export_self_test.ok ? "pass" : `FAIL: ${c.export_self_test.problems.join("; ")}`))));
  } catch (error) {
    $("report-summary").textContent = error.message;
  }
}

async function printReport() {
  const quarter = $("report-quarter").value.trim();
  try {
    const answer = await api(`/reports/camera-compliance${query({ quarter, format: "html" })}`, { raw: true });
    window.open(URL.createObjectURL(await answer.blob()), "_blank");
  } catch (error) {
    $("report-summary").textContent = error.message;
  }
}

async function download() {
  const params = { from: dayStart($("export-from").value), to: dayEnd($("export-to").value),
    plate: $("export-plate").value.trim(), container: $("export-container").value.trim() };
  $("export-message").textContent = "Preparing the export...";
  try {
    const answer = await api(`/exports${query(params)}`, { raw: true });
    const name = (answer.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const link = el("a", { href: URL.createObjectURL(await answer.blob()), download: name ? name[1] : "anpr-export.zip" });
    document.body.append(link);
    link.click();
    link.remove();
    const problems = Number(answer.headers.get("X-Export-Problems") || 0);
    $("export-message").textContent = `Exported ${answer.headers.get("X-Export-Events")} event(s)` +
      (problems ? `; ${problems} image problem(s) listed in manifest.json.` : ".");
  } catch (error) {
    $("export-message").textContent = error.message;
  }
}

function currentQuarter() {
  const now = new Date();
  return `${now.getFullYear()}Q${Math.floor(now.getMonth() / 3) + 1}`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("api-key").value.trim()); });
  $("sign-out").addEventListener("click", () => signOut());
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => show(b.dataset.view)));
  $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search(true); });
  $("more").addEventListener("click", () => search(false));
  $("discrepancies-refresh").addEventListener("click", () => loadDiscrepancies(true));
  $("discrepancies-more").addEventListener("click", () => loadDiscrepancies(false));
  $("review-form").addEventListener("submit", (e) => { e.preventDefault(); loadReview(true); });
  $("review-more").addEventListener("click", () => loadReview(false));
  $("report-form").addEventListener("submit", (e) => { e.preventDefault(); loadReport(); });
  $("report-print").addEventListener("click", printReport);
  $("export-form").addEventListener("submit", (e) => { e.preventDefault(); download(); });
  $("report-quarter").value = currentQuarter();
  const key = sessionStorage.getItem(KEY);
  if (key) signIn(key);
});
