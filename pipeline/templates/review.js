// The review page: one article at a time, its claims highlighted, keyboard first.
// Every text from the table or the corpus goes into the page with textContent, never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const FIELDS = ["metric", "value", "unit", "qualifier", "date", "date_basis", "period_start", "location", "region", "surface", "sentence"];
const EDIT = ["metric", "value", "unit", "qualifier", "date", "period_start", "location", "region"];
let S = null;            // the state from /api/state
const bodies = {};       // article id -> {body, meta, units: code point -> UTF-16 index map or null}
let curKey = null;       // the current claim's key string
let curArticle = null;   // the article shown
let editing = null;      // null, {mode: "correct", item}, or {mode: "add", article, start, end, surface}
let busy = false;

const keyOf = (k) => JSON.stringify([k.article_id, k.start, k.end, k.surface, k.metric]);
const status = (it) => (it.review ? it.review.decision : "open");
const fieldsOf = (it) => (it.review ? it.review.current : it.claim);
const byKey = (k) => S.items.find((it) => keyOf(it.key) === k) || null;

function filtered() {
  const st = $("f-status").value, m = $("f-metric").value, pl = $("f-place").value, a = $("f-article").value;
  return S.items.filter((it) => {
    const f = fieldsOf(it);
    if (st === "open" && it.review) return false;
    if (st === "done" && !it.review) return false;
    if (m && f.metric !== m) return false;
    if (pl && (f.location || "") !== pl) return false;
    if (a && it.key.article_id !== a) return false;
    return true;
  });
}

async function api(path, body) {
  const opts = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const res = await fetch(path, opts);
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

// -- offsets: the table counts code points, JavaScript strings count UTF-16 units -------------------
function unitMap(body) {
  if (!/[\uD800-\uDFFF]/.test(body)) return null;
  const map = [];
  let u = 0;
  for (const ch of body) { map.push(u); u += ch.length; }
  map.push(u);
  return map;
}
const toUnit = (art, cp) => (art.units ? art.units[cp] : cp);
function toCp(art, unit) {
  if (!art.units) return unit;
  let lo = 0, hi = art.units.length - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (art.units[mid] < unit) lo = mid + 1; else hi = mid; }
  return lo;
}

async function article(id) {
  if (!bodies[id]) {
    const a = await api("/api/article?id=" + encodeURIComponent(id));
    a.units = unitMap(a.body);
    bodies[id] = a;
  }
  return bodies[id];
}

// -- drawing -----------------------------------------------------------------------------------
function option(select, value, label) {
  const o = document.createElement("option");
  o.value = value; o.textContent = label === undefined ? value : label;
  select.appendChild(o);
}

function fillFilters() {
  const keep = (sel) => sel.value;
  const m = $("f-metric"), p = $("f-place"), a = $("f-article");
  const [mv, pv, av] = [keep(m), keep(p), keep(a)];
  for (const sel of [m, p, a]) while (sel.options.length > 1) sel.remove(1);
  [...new Set(S.items.map((it) => fieldsOf(it).metric))].sort().forEach((x) => option(m, x));
  [...new Set(S.items.map((it) => fieldsOf(it).location || ""))].filter(Boolean).sort().forEach((x) => option(p, x));
  S.articles.forEach((x) => option(a, x.id, `${x.published} ${x.outlet || x.title || x.id}`.slice(0, 70)));
  m.value = mv; p.value = pv; a.value = av;
  const ms = document.querySelector("#edit [name=metric]");
  if (!ms.options.length) {
    S.metrics.forEach((x) => option(ms, x.id));
    option(ms, "other");
    S.qualifiers.forEach((q) => option(document.querySelector("#edit [name=qualifier]"), q));
    S.units.forEach((u) => option($("units"), u));
  }
}

function counter() {
  const done = S.items.filter((it) => it.review).length;
  $("counter").textContent = `${done} / ${S.items.length} reviewed`;
  $("counter").dataset.done = done;
  $("counter").dataset.total = S.items.length;
}

async function render() {
  counter();
  const it = curKey ? byKey(curKey) : null;
  if (it) curArticle = it.key.article_id;
  if (!curArticle && S.articles.length) curArticle = S.articles[0].id;
  if (curArticle) await drawArticle(curArticle, it);
  drawClaim(it);
}

async function drawArticle(id, cur) {
  const art = await article(id);
  const meta = S.articles.find((a) => a.id === id) || {};
  $("article-title").textContent = meta.title || id;
  $("article-meta").textContent = [meta.outlet, meta.published, id].filter(Boolean).join(" · ");
  const el = $("body");
  el.textContent = "";
  const items = S.items.filter((x) => x.key.article_id === id);
  const spans = new Map();
  for (const x of items) {
    const k = x.key.start + ":" + x.key.end;
    if (!spans.has(k)) spans.set(k, { start: x.key.start, end: x.key.end, items: [] });
    spans.get(k).items.push(x);
  }
  const ordered = [...spans.values()].sort((a, b) => a.start - b.start || b.end - a.end);
  let at = 0; // in code points
  const text = (from, to) => art.body.slice(toUnit(art, from), toUnit(art, to));
  for (const sp of ordered) {
    if (sp.start < at) continue; // overlaps a span already drawn: reachable from the list
    el.appendChild(document.createTextNode(text(at, sp.start)));
    const mk = document.createElement("mark");
    mk.textContent = text(sp.start, sp.end);
    const states = sp.items.map(status);
    mk.className = states.includes("open") ? "open" : states[0];
    mk.dataset.keys = JSON.stringify(sp.items.map((x) => keyOf(x.key)));
    if (cur && sp.items.includes(cur)) mk.classList.add("current");
    mk.addEventListener("click", () => { curKey = keyOf(sp.items[0].key); render(); });
    el.appendChild(mk);
    at = sp.end;
  }
  el.appendChild(document.createTextNode(text(at, [...art.body].length)));
  const list = $("claim-list");
  list.textContent = "";
  for (const x of items) {
    const li = document.createElement("li");
    const f = fieldsOf(x);
    li.textContent = `${x.key.surface} · ${f.metric}`;
    const tag = document.createElement("span");
    tag.className = "tag " + status(x);
    tag.textContent = status(x) === "open" ? "not reviewed" : status(x);
    li.appendChild(tag);
    if (x === cur) li.classList.add("current");
    li.addEventListener("click", () => { curKey = keyOf(x.key); render(); });
    list.appendChild(li);
  }
  const mark = el.querySelector("mark.current");
  if (mark && !editing) mark.scrollIntoView({ block: "center" });
}

function drawClaim(it) {
  const list = filtered();
  const pos = it ? list.indexOf(it) : -1;
  const ai = S.articles.findIndex((a) => a.id === curArticle);
  $("position").textContent = (it ? (pos >= 0 ? `claim ${pos + 1} of ${list.length} shown` : "claim not in the filter") : `no claim selected (${list.length} shown)`) +
    ` · article ${ai + 1} of ${S.articles.length}`;
  const d = $("decision");
  d.className = "decision " + (it ? status(it) : "");
  d.textContent = !it ? "" : it.review ? `${it.review.decision} by ${it.review.reviewer}, ${it.review.at}` : "not reviewed";
  const tb = $("fields").tBodies[0];
  tb.textContent = "";
  if (!it) return;
  const cur = fieldsOf(it);
  for (const name of FIELDS) {
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.textContent = name;
    const td = document.createElement("td"); td.textContent = cur[name] === undefined ? "" : String(cur[name]);
    td.dataset.field = name;
    if (it.review && it.review.decision === "corrected" && name in it.review.fields && String(it.claim[name]) !== String(cur[name])) {
      td.classList.add("changed");
      const was = document.createElement("span"); was.className = "was"; was.textContent = String(it.claim[name] || "—");
      td.appendChild(was);
    }
    tr.append(th, td);
    tb.appendChild(tr);
  }
}

// -- moving ----------------------------------------------------------------------------------------
function move(step) {
  const list = filtered();
  if (!list.length) return;
  const it = curKey ? byKey(curKey) : null;
  let i = it ? list.indexOf(it) : -1;
  if (i < 0) {
    // the current claim left the filter: the next one after it in table order
    const all = S.items, at = it ? all.indexOf(it) : -1;
    const after = list.find((x) => all.indexOf(x) > at);
    i = step > 0 ? (after ? list.indexOf(after) : list.length - 1) : (after ? list.indexOf(after) - 1 : list.length - 1);
    i = Math.max(0, i);
  } else {
    i = Math.min(list.length - 1, Math.max(0, i + step));
  }
  curKey = keyOf(list[i].key);
  render();
}

function moveArticle(step) {
  const ids = S.articles.map((a) => a.id);
  const list = filtered();
  let i = ids.indexOf(curArticle);
  for (let n = 0; n < ids.length; n++) {
    i += step;
    if (i < 0 || i >= ids.length) return;
    const first = list.find((x) => x.key.article_id === ids[i]);
    if (first || !list.length || $("f-article").value) {
      curArticle = ids[i];
      curKey = first ? keyOf(first.key) : null;
      render();
      return;
    }
  }
}

// -- deciding --------------------------------------------------------------------------------------
function showError(msg) { $("error").textContent = msg || ""; }

async function send(payload, advance) {
  if (busy) return;
  busy = true;
  const before = filtered();
  const old = curKey ? byKey(curKey) : null;
  try {
    const res = await api("/api/decide", payload);
    showError("");
    const oldKey = payload.key ? keyOf(payload.key) : null;
    const idx = oldKey ? S.items.findIndex((x) => keyOf(x.key) === oldKey) : -1;
    if (res.item) {
      if (idx >= 0) S.items[idx] = res.item; else S.items.push(res.item);
      S.items.sort((a, b) => a.key.article_id.localeCompare(b.key.article_id) || a.key.start - b.key.start || a.key.end - b.key.end || a.key.metric.localeCompare(b.key.metric));
      curKey = keyOf(res.item.key);
    } else if (idx >= 0) {
      S.items.splice(idx, 1);
      curKey = null;
    }
    closeEdit();
    fillFilters();
    if (advance) {
      const now = filtered();
      const at = old ? before.indexOf(old) : -1;
      const next = before.slice(at + 1).map((x) => byKey(keyOf(x.key))).find((x) => x && now.includes(x) && x !== byKey(curKey));
      if (next) curKey = keyOf(next.key);
    }
    await render();
    return true;
  } catch (e) {
    showError(e.message);
    return false;
  } finally {
    busy = false;
  }
}

function decideCurrent(decision) {
  const it = curKey ? byKey(curKey) : null;
  if (!it) return;
  if (it.review && it.review.decision === "added" && decision === "confirmed") { move(1); return; }
  if (it.review && it.review.decision === "added" && decision === "rejected") { send({ key: it.key, decision: "clear" }, false); return; }
  send({ key: it.key, decision }, true);
}

function openEdit(state) {
  editing = state;
  const form = $("edit");
  const src = state.mode === "correct" ? fieldsOf(state.item) : state.fields;
  for (const name of EDIT) form.elements[name].value = src[name] === undefined ? "" : String(src[name]);
  $("edit-title").textContent = state.mode === "correct" ? "Correct the claim" : `Add a claim: “${state.surface}”`;
  form.hidden = false;
  showError("");
  (state.mode === "add" ? form.elements.metric : form.elements.value).focus();
}

function closeEdit() {
  editing = null;
  $("edit").hidden = true;
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
}

function editCurrent() {
  const it = curKey ? byKey(curKey) : null;
  if (it) openEdit({ mode: "correct", item: it });
}

function addSelection() {
  const sel = window.getSelection();
  const el = $("body");
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed || !el.contains(sel.getRangeAt(0).startContainer) || !el.contains(sel.getRangeAt(0).endContainer)) {
    showError("select the missed figure in the article text first, then press a");
    return;
  }
  const art = bodies[curArticle];
  const range = sel.getRangeAt(0);
  const pre = document.createRange();
  pre.selectNodeContents(el);
  pre.setEnd(range.startContainer, range.startOffset);
  let s = pre.toString().length, e = s + range.toString().length;
  while (s < e && /\s/.test(art.body[s])) s++;
  while (e > s && /\s/.test(art.body[e - 1])) e--;
  if (s >= e) { showError("the selection holds no text"); return; }
  const surface = art.body.slice(s, e);
  const number = (surface.match(/[0-9][0-9,]*(\.[0-9]+)?/) || [""])[0].replace(/,/g, "");
  const near = S.items.find((x) => x.key.article_id === curArticle && fieldsOf(x).location);
  openEdit({
    mode: "add", article: curArticle, start: toCp(art, s), end: toCp(art, e), surface,
    fields: { metric: "", value: number, unit: "", qualifier: "exact", date: art.meta.published || "", period_start: "", location: near ? fieldsOf(near).location : "", region: "" },
  });
}

function submitEdit(ev) {
  ev.preventDefault();
  if (!editing) return;
  const form = $("edit");
  const fields = {};
  for (const name of EDIT) fields[name] = form.elements[name].value.trim();
  if (editing.mode === "add") {
    send({ decision: "added", fields: { ...fields, article_id: editing.article, start: editing.start, end: editing.end, surface: editing.surface } }, false);
  } else {
    const it = editing.item;
    if (it.review && it.review.decision === "added") {
      const c = it.review.current;
      send({ key: it.key, decision: "added", fields: { ...fields, article_id: it.key.article_id, start: c.start, end: c.end, surface: c.surface } }, false);
    } else {
      send({ key: it.key, decision: "corrected", fields }, true);
    }
  }
}

// -- keys ------------------------------------------------------------------------------------------
const KEYS = {
  j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
  n: () => moveArticle(1), p: () => moveArticle(-1),
  c: () => decideCurrent("confirmed"), x: () => decideCurrent("rejected"),
  e: editCurrent, a: addSelection,
  u: () => { const it = curKey && byKey(curKey); if (it && it.review) send({ key: it.key, decision: "clear" }, false); },
};

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  const inForm = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
  if (ev.key === "Escape") { closeEdit(); showError(""); ev.preventDefault(); return; }
  if (inForm) {
    if (ev.key === "Enter" && editing && t.form === $("edit")) { submitEdit(ev); }
    return;
  }
  const f = KEYS[ev.key];
  if (f) { ev.preventDefault(); f(); }
});

async function load(keep) {
  S = await api("/api/state");
  $("who").textContent = `reviewer: ${S.reviewer} · ${S.reviews_file}` + (S.orphans ? ` · ${S.orphans} orphaned (claims review --orphans)` : "");
  fillFilters();
  if (!keep || !curKey || !byKey(curKey)) {
    const first = filtered()[0] || S.items[0];
    curKey = first ? keyOf(first.key) : null;
  }
  await render();
  document.body.dataset.ready = "1";
}

window.addEventListener("DOMContentLoaded", () => {
  $("edit").addEventListener("submit", submitEdit);
  $("cancel").addEventListener("click", closeEdit);
  $("b-confirm").addEventListener("click", () => decideCurrent("confirmed"));
  $("b-reject").addEventListener("click", () => decideCurrent("rejected"));
  $("b-edit").addEventListener("click", editCurrent);
  $("b-add").addEventListener("click", addSelection);
  $("b-clear").addEventListener("click", KEYS.u);
  $("edit").elements.metric.addEventListener("change", (ev) => {
    const m = S.metrics.find((x) => x.id === ev.target.value);
    if (m) $("edit").elements.unit.value = m.unit;
  });
  for (const id of ["f-status", "f-metric", "f-place", "f-article"]) {
    $(id).addEventListener("change", () => {
      const list = filtered();
      if (id === "f-article" && $(id).value) curArticle = $(id).value;
      const it = curKey && byKey(curKey);
      if (!it || !list.includes(it)) curKey = list.length ? keyOf((list.find((x) => x.key.article_id === curArticle) || list[0]).key) : null;
      $(id).blur();
      render();
    });
  }
  // another tab may have decided meanwhile: take its decisions when this tab comes back
  window.addEventListener("focus", () => { if (!editing) load(true); });
  load(false).catch((e) => showError(e.message));
});
