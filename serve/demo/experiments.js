// The experiments UI (the MLflow UI role), served at /ui: runs with filters, a run page with live
// curves, params, lineage and artifacts; runs compared; the registry with its audit log; tuning
// studies. Everything comes from the same API as `deno task runs`: /v1/runs, /v1/models,
// /v1/registry. plotly.js is served by the app (/demo/assets/plotly.min.js), no CDN.
"use strict";

const view = document.getElementById("view");
const POLL_MS = 2000;
let timers = [];

/** Build an element; children are nodes or strings (always inserted as text). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "on") { for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn); }
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path) {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    throw new Error(`${path}: ${res.status} ${body?.error?.message ?? res.statusText}`);
  }
  return body;
}

/** Map with at most `n` requests in flight. */
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

const fmt = (v) => {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
};
const short = (id) => (id ? id.slice(0, 8) : "—");
const when = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "—");
const duration = (r) => {
  const end = r.ended_at ? Date.parse(r.ended_at) : Date.now();
  const s = Math.max(0, (end - Date.parse(r.started_at)) / 1000);
  return s < 120 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`;
};
const runLink = (r) => h("a", { href: `#/run/${r.id}` }, r.name || short(r.id));

function table(head, rows, rowAttrs) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
    h(
      "tbody",
      {},
      rows.map((r, i) => h("tr", rowAttrs ? rowAttrs(i) : {}, r.map((c) => h("td", {}, c)))),
    ),
  );
}

function chart(id, cls = "chart") {
  return h("div", { id, class: `${cls} plot` });
}

function plot(id, traces, title, extra = {}) {
  const layout = {
    title: { text: title, font: { size: 13 } },
    margin: { l: 50, r: 10, t: 36, b: 40 },
    template: "plotly_white",
    ...extra,
  };
  return globalThis.Plotly.react(id, traces, layout, { displaylogo: false, responsive: true });
}

function done(name) {
  document.body.dataset.view = name;
  document.body.dataset.ready = "1";
}

// ---- runs ---------------------------------------------------------------------------------

/**
 * Parse a filter like `params.lr > 0.001 and metrics.accuracy >= 0.8 and tags.recipe = quick`.
 * Returns a predicate over run details; throws with a message on a bad clause.
 */
function parseFilter(text) {
  const clauses = text.trim() ? text.split(/\s+and\s+/i) : [];
  const tests = clauses.map((c) => {
    const m = /^(params|metrics|tags)\.([^\s<>=!~]+)\s*(<=|>=|!=|=|<|>|~)\s*(.+)$/.exec(c.trim());
    if (!m) {
      throw new Error(
        `cannot read "${c}": use params.KEY, metrics.KEY or tags.KEY, an operator ` +
          "(= != < <= > >= ~) and a value",
      );
    }
    const [, kind, key, op, raw] = m;
    const want = raw.trim().replace(/^["']|["']$/g, "");
    return (run) => {
      const src = kind === "metrics"
        ? Object.fromEntries(Object.entries(run.metrics).map(([k, v]) => [k, v.last]))
        : run[kind];
      if (!(key in src)) return false;
      const got = src[key];
      if (op === "~") return String(got).includes(want);
      const gn = Number(got), wn = Number(want);
      const numeric = typeof got === "number" || (!Number.isNaN(gn) && String(got).trim() !== "");
      if (numeric && !Number.isNaN(wn)) {
        return {
          "=": gn === wn,
          "!=": gn !== wn,
          "<": gn < wn,
          "<=": gn <= wn,
          ">": gn > wn,
          ">=": gn >= wn,
        }[op];
      }
      const gs = typeof got === "string" ? got : JSON.stringify(got);
      if (op === "=") return gs === want;
      if (op === "!=") return gs !== want;
      return false;
    };
  });
  return (run) => tests.every((t) => t(run));
}

async function runsView(params) {
  const experiment = params.get("experiment") || "";
  const status = params.get("status") || "";
  const filterText = params.get("filter") || "";
  const all = (await api("/v1/runs?limit=1000")).runs;
  const experiments = new Map();
  for (const r of all) experiments.set(r.experiment, (experiments.get(r.experiment) || 0) + 1);

  const q = new URLSearchParams({ limit: "200" });
  if (experiment) q.set("experiment", experiment);
  if (status) q.set("status", status);
  const listed = (await api(`/v1/runs?${q}`)).runs;
  const details = await pool(listed, 6, (r) => api(`/v1/runs/${r.id}`));
  let predicate, filterError = null;
  try {
    predicate = parseFilter(filterText);
  } catch (err) {
    predicate = () => true;
    filterError = err.message;
  }
  const shown = details.filter(predicate);
  const metricKeys = [...new Set(shown.flatMap((r) => Object.keys(r.metrics)))].sort().slice(0, 6);
  const paramKeys = [...new Set(shown.flatMap((r) => Object.keys(r.params)))].sort().slice(0, 6);

  const go = (changes) => {
    const next = new URLSearchParams({ experiment, status, filter: filterText, ...changes });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    location.hash = `#/runs?${next}`;
  };
  const filterInput = h("input", {
    id: "filter",
    value: filterText,
    placeholder: "params.lr > 0.001 and metrics.accuracy >= 0.8",
  });
  const statusSelect = h(
    "select",
    { id: "status", on: { change: (e) => go({ status: e.target.value }) } },
    ["", "running", "finished", "failed", "killed"].map((s) =>
      h("option", { value: s, selected: s === status }, s || "any")
    ),
  );
  const compareButton = h("button", {
    id: "compare",
    type: "button",
    on: {
      click: () => {
        const ids = [...document.querySelectorAll("input.pick:checked")].map((c) => c.value);
        if (ids.length >= 2) location.hash = `#/compare?ids=${ids.join(",")}`;
      },
    },
  }, "Compare selected");

  view.replaceChildren(
    h(
      "div",
      { class: "layout" },
      h(
        "div",
        { class: "side" },
        h("h3", {}, "Experiments"),
        h(
          "ul",
          { id: "experiments" },
          h("li", {
            class: experiment ? "" : "active",
            on: { click: () => go({ experiment: "" }) },
          }, `all (${all.length})`),
          [...experiments].sort().map(([name, n]) =>
            h("li", {
              class: name === experiment ? "active" : "",
              dataset: { experiment: name },
              on: { click: () => go({ experiment: name }) },
            }, `${name} (${n})`)
          ),
        ),
      ),
      h(
        "div",
        {},
        h(
          "form",
          {
            class: "controls",
            on: {
              submit: (e) => {
                e.preventDefault();
                go({ filter: filterInput.value });
              },
            },
          },
          h("label", {}, "status", statusSelect),
          h("label", {}, "filter on params, metrics, tags", filterInput),
          h("button", { type: "submit" }, "Apply"),
          compareButton,
        ),
        filterError ? h("div", { class: "error", id: "filter-error" }, filterError) : null,
        h("div", { class: "muted" }, `${shown.length} of ${listed.length} run(s)`),
        table(
          [
            "",
            "run",
            "experiment",
            "status",
            "started",
            "duration",
            ...paramKeys.map((k) => `param ${k}`),
            ...metricKeys,
          ],
          shown.map((r) => [
            h("input", { type: "checkbox", class: "pick", value: r.id }),
            runLink(r),
            r.experiment,
            r.status,
            when(r.started_at),
            duration(r),
            ...paramKeys.map((k) => fmt(r.params[k])),
            ...metricKeys.map((k) => fmt(r.metrics[k]?.last)),
          ]),
          (i) => ({ class: "run-row", dataset: { id: shown[i].id } }),
        ),
      ),
    ),
  );
  done("runs");
}

// ---- one run ------------------------------------------------------------------------------

async function drawCurves(run, container) {
  const keys = Object.keys(run.metrics).sort().slice(0, 12);
  const histories = await pool(
    keys,
    4,
    (k) => api(`/v1/runs/${run.id}/metrics/${encodeURIComponent(k)}`),
  );
  for (const [i, hst] of histories.entries()) {
    const id = `curve-${i}`;
    if (!document.getElementById(id)) container.append(chart(id));
    await plot(
      id,
      [{
        type: "scatter",
        mode: hst.points.length > 1 ? "lines+markers" : "markers",
        name: hst.key,
        x: hst.points.map((p) => p.step),
        y: hst.points.map((p) => p.value),
      }],
      hst.key,
      { xaxis: { title: { text: "step" } } },
    );
  }
  return keys.length;
}

async function runView(id) {
  let run = await api(`/v1/runs/${id}`);
  const children = (await api(`/v1/runs?parent=${run.id}&limit=1000`)).runs;
  const curves = h("div", { class: "charts", id: "curves" });
  const frame = h("iframe", { id: "artifact-frame", title: "artifact", hidden: true });
  const live = h("span", { id: "live", class: "muted" });
  const l = run.lineage;
  view.replaceChildren(
    h("h2", {}, `${run.name} `, h("span", { class: "muted" }, `${run.experiment} · ${run.id}`)),
    h(
      "div",
      {},
      `status `,
      h("b", { id: "run-status" }, run.status),
      ` · started ${when(run.started_at)} · ${duration(run)} `,
      run.parent_id ? h("a", { href: `#/run/${run.parent_id}` }, "parent run") : null,
      " ",
      live,
    ),
    run.error ? h("div", { class: "error" }, run.error) : null,
    h("h3", {}, "Metrics"),
    curves,
    h("h3", {}, "Params"),
    table(["param", "value"], Object.entries(run.params).map(([k, v]) => [k, fmt(v)])),
    h("h3", {}, "Lineage"),
    table(["field", "value"], [
      ["dataset version", l.dataset_version ?? "—"],
      ["code commit", l.git_commit ? `${l.git_commit}${l.git_dirty ? " (dirty)" : ""}` : "—"],
      ["seed", fmt(l.seed)],
      [
        "engine",
        l.engine
          ? `${l.engine.name} ${l.engine.backend ?? ""} ${JSON.stringify(l.engine.versions ?? {})}`
          : "—",
      ],
      ["config", h("code", {}, l.config === null ? "—" : JSON.stringify(l.config))],
      ["tags", h("code", {}, JSON.stringify(run.tags))],
    ]),
    h("h3", {}, "Artifacts"),
    run.artifacts.length
      ? table(
        ["artifact", "type", "size", ""],
        run.artifacts.map((a) => {
          const url = `/v1/runs/${run.id}/artifacts/${encodeURIComponent(a.name)}`;
          return [
            h("a", {
              href: url,
              class: "artifact",
              on: {
                click: (e) => {
                  e.preventDefault();
                  frame.hidden = false;
                  frame.src = url;
                },
              },
            }, a.name),
            a.content_type,
            `${a.size} B`,
            h("a", { href: url, download: a.name }, "download"),
          ];
        }),
      )
      : h("div", { class: "muted" }, "no artifacts"),
    frame,
    children.length ? h("h3", {}, `Child runs (${children.length})`) : null,
    children.length
      ? table(
        ["run", "status", "started"],
        children.map((c) => [runLink(c), c.status, when(c.started_at)]),
      )
      : null,
  );
  await drawCurves(run, curves);
  done("run");
  // Live while it trains: re-read the run and its curves until it ends.
  if (run.status === "running") {
    live.textContent = "live: refreshing every 2 s";
    const tick = async () => {
      try {
        run = await api(`/v1/runs/${id}`);
        document.getElementById("run-status").textContent = run.status;
        await drawCurves(run, curves);
        document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
        if (run.status !== "running") live.textContent = "run ended";
        else timers.push(setTimeout(tick, POLL_MS));
      } catch (err) {
        live.textContent = `refresh failed: ${err.message}`;
      }
    };
    timers.push(setTimeout(tick, POLL_MS));
  }
}

// ---- compare ------------------------------------------------------------------------------

async function compareView(params) {
  const ids = (params.get("ids") || "").split(",").filter(Boolean);
  if (ids.length < 2) {
    view.replaceChildren(
      h("h2", {}, "Compare runs"),
      h(
        "p",
        {},
        "Tick two or more runs in the ",
        h("a", { href: "#/runs" }, "run table"),
        " and press “Compare selected”.",
      ),
    );
    done("compare");
    return;
  }
  const cmp = await api(`/v1/runs/compare?ids=${ids.join(",")}`);
  const names = cmp.runs.map((r) => r.name || short(r.id));
  const row = (v) => [v.key, ...v.values.map(fmt)];
  const curves = h("div", { class: "charts", id: "overlay" });
  view.replaceChildren(
    h("h2", {}, `Compare ${cmp.runs.length} runs`),
    h("div", {}, cmp.runs.map((r, i) => [i ? " · " : "", runLink(r)])),
    h("h3", {}, "Metric curves"),
    curves,
    h("h3", {}, "Params (differences highlighted)"),
    table(
      ["param", ...names],
      cmp.params.map(row),
      (i) => ({ class: cmp.params[i].differs ? "diff" : "" }),
    ),
    h("h3", {}, "Last metric values"),
    table(["metric", ...names], cmp.metrics.map(row)),
  );
  const keys = cmp.metrics.map((m) => m.key).slice(0, 8);
  for (const [i, key] of keys.entries()) {
    const traces = [];
    for (const r of cmp.runs) {
      const hst = await api(`/v1/runs/${r.id}/metrics/${encodeURIComponent(key)}`).catch(() =>
        null
      );
      if (hst) {
        traces.push({
          type: "scatter",
          mode: "lines+markers",
          name: r.name || short(r.id),
          x: hst.points.map((p) => p.step),
          y: hst.points.map((p) => p.value),
        });
      }
    }
    const id = `overlay-${i}`;
    curves.append(chart(id));
    await plot(id, traces, key, { xaxis: { title: { text: "step" } } });
  }
  done("compare");
}

// ---- registry -----------------------------------------------------------------------------

function evidence(e) {
  if (e.gate) {
    const g = e.gate;
    return h("code", {}, JSON.stringify(g));
  }
  return e.details ? h("code", {}, JSON.stringify(e.details)) : "";
}

async function registryView() {
  const models = (await api("/v1/models")).models;
  const sections = [];
  for (const m of models) {
    const detail = await api(`/v1/models/${encodeURIComponent(m.name)}`);
    const events = (await api(`/v1/registry/models/${encodeURIComponent(m.name)}/events`)).events;
    sections.push(
      h("h2", {}, m.name, " ", h("span", { class: "muted" }, m.description || "")),
      h(
        "div",
        {},
        "aliases: ",
        Object.entries(m.aliases).map(([a, v], i) => [i ? ", " : "", h("b", {}, a), ` → v${v}`]),
      ),
      h("h3", {}, "Versions"),
      table(
        ["version", "aliases", "registered", "by", "metrics", "run", "dataset", "documents"],
        detail.versions.map((v) => {
          const base = `/v1/models/${encodeURIComponent(m.name)}/versions/${v.version}`;
          return [
            `v${v.version}`,
            v.aliases.join(", "),
            when(v.created_at),
            v.created_by,
            h("code", {}, JSON.stringify(v.metrics)),
            v.run_id ? h("a", { href: `#/run/${v.run_id}` }, short(v.run_id)) : "—",
            v.dataset_version ? short(v.dataset_version) : "—",
            h(
              "span",
              {},
              h("a", { href: `${base}/card`, target: "_blank" }, "model card"),
              " · ",
              h("a", { href: `${base}/evaluation.html`, target: "_blank" }, "evaluation"),
            ),
          ];
        }),
        () => ({ class: "version-row" }),
      ),
      h("h3", {}, "Audit log"),
      table(
        ["at", "kind", "alias", "from → to", "actor", "reason", "evidence"],
        events.map((e) => [
          when(e.at),
          e.kind,
          e.alias ?? "",
          `${e.from_version ?? "—"} → ${e.to_version ?? "—"}`,
          e.actor,
          e.reason ?? "",
          evidence(e),
        ]),
        (i) => ({ class: `event-row event-${events[i].kind}` }),
      ),
    );
  }
  view.replaceChildren(
    h("h2", {}, "Registry"),
    models.length
      ? h("div", {}, sections)
      : h("p", {}, "No model is registered yet: run deno task pipeline."),
  );
  done("registry");
}

// ---- tuning studies -----------------------------------------------------------------------

/** Spearman rank correlation of two equal-length arrays. */
function spearman(a, b) {
  const rank = (xs) => {
    const idx = xs.map((v, i) => [v, i]).sort((p, q) => p[0] - q[0]);
    const r = new Array(xs.length);
    idx.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const ra = rank(a), rb = rank(b), n = a.length;
  const ma = (n - 1) / 2;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i] - ma) * (rb[i] - ma);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - ma) ** 2;
  }
  return da && db ? num / Math.sqrt(da * db) : 0;
}

async function studiesView(params) {
  const studies =
    (await api(`/v1/runs?tag=${encodeURIComponent("tune.role=study")}&limit=200`)).runs;
  const chosen = params.get("study") || studies[0]?.id;
  const list = h(
    "ul",
    { id: "studies" },
    studies.map((s) =>
      h(
        "li",
        { class: s.id === chosen ? "active" : "" },
        h("a", { href: `#/studies?study=${s.id}` }, s.name),
        ` (${s.status})`,
      )
    ),
  );
  if (!chosen) {
    view.replaceChildren(
      h("h2", {}, "Tuning studies"),
      h("p", {}, "No study yet: run deno task tune."),
    );
    done("studies");
    return;
  }
  const study = await api(`/v1/runs/${chosen}`);
  const trials = (await api(`/v1/runs?parent=${study.id}&limit=1000`)).runs;
  const details = await pool(trials, 6, (t) => api(`/v1/runs/${t.id}`));
  const minimize = String(study.params.direction ?? "minimize") !== "maximize";
  const rows = details
    .map((d) => ({
      d,
      n: Number(d.tags["tune.trial"] ?? NaN),
      value: d.metrics.objective?.last ?? null,
    }))
    .sort((a, b) => a.n - b.n);
  const complete = rows.filter((r) => r.value !== null);
  let best = null;
  const bestSoFar = complete.map((r) => {
    best = best === null ? r.value : minimize ? Math.min(best, r.value) : Math.max(best, r.value);
    return best;
  });
  const paramKeys = [...new Set(complete.flatMap((r) => Object.keys(r.d.params)))].sort();
  const numericOf = (key) => {
    const raw = complete.map((r) => r.d.params[key]);
    if (raw.every((v) => typeof v === "number")) return { values: raw, labels: null };
    const cats = [...new Set(raw.map((v) => JSON.stringify(v)))].sort();
    return { values: raw.map((v) => cats.indexOf(JSON.stringify(v))), labels: cats };
  };
  const dims = paramKeys.map((k) => ({ key: k, ...numericOf(k) }));
  const values = complete.map((r) => r.value);
  const importance = dims.map((d) => ({ key: d.key, score: Math.abs(spearman(d.values, values)) }));
  const total = importance.reduce((s, i) => s + i.score, 0) || 1;

  view.replaceChildren(
    h(
      "div",
      { class: "layout" },
      h("div", { class: "side" }, h("h3", {}, "Studies"), list),
      h(
        "div",
        {},
        h(
          "h2",
          {},
          study.name,
          " ",
          h("span", { class: "muted" }, `${minimize ? "minimize" : "maximize"} · `, runLink(study)),
        ),
        h(
          "div",
          { class: "muted" },
          `${rows.length} trial(s), ${complete.length} with an objective value`,
        ),
        h("div", { class: "charts" }, chart("history"), chart("importance")),
        chart("parcoords", "chart wide"),
        h("h3", {}, "Trials"),
        table(
          ["trial", "state", "objective", ...paramKeys],
          rows.map((
            r,
          ) => [
            runLink(r.d),
            r.d.tags["tune.state"] ?? r.d.status,
            fmt(r.value),
            ...paramKeys.map((k) => fmt(r.d.params[k])),
          ]),
          () => ({ class: "trial-row" }),
        ),
      ),
    ),
  );
  await plot(
    "history",
    [
      { type: "scatter", mode: "markers", name: "trial", x: complete.map((r) => r.n), y: values },
      {
        type: "scatter",
        mode: "lines",
        name: "best so far",
        x: complete.map((r) => r.n),
        y: bestSoFar,
      },
    ],
    "Optimisation history",
    { xaxis: { title: { text: "trial" } }, yaxis: { title: { text: "objective" } } },
  );
  await plot(
    "importance",
    [{
      type: "bar",
      orientation: "h",
      x: importance.map((i) => i.score / total),
      y: importance.map((i) => i.key),
    }],
    "Param importance (share of |Spearman ρ| with the objective)",
    { margin: { l: 110, r: 10, t: 36, b: 40 } },
  );
  if (complete.length) {
    await plot(
      "parcoords",
      [{
        type: "parcoords",
        line: { color: values, colorscale: "Viridis", showscale: true, reversescale: minimize },
        dimensions: [
          ...dims.map((d) => ({
            label: d.key,
            values: d.values,
            ...(d.labels ? { tickvals: d.labels.map((_, i) => i), ticktext: d.labels } : {}),
          })),
          { label: "objective", values },
        ],
      }],
      "Parallel coordinates",
      { margin: { l: 60, r: 60, t: 60, b: 30 } },
    );
  }
  done("studies");
}

// ---- router -------------------------------------------------------------------------------

async function route() {
  for (const t of timers) clearTimeout(t);
  timers = [];
  document.body.dataset.ready = "0";
  const hash = location.hash.replace(/^#/, "") || "/runs";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  for (const a of document.querySelectorAll("header a")) {
    a.classList.toggle("active", a.dataset.nav === (parts[0] === "run" ? "runs" : parts[0]));
  }
  try {
    if (parts[0] === "run" && parts[1]) await runView(parts[1]);
    else if (parts[0] === "compare") await compareView(params);
    else if (parts[0] === "registry") await registryView();
    else if (parts[0] === "studies") await studiesView(params);
    else await runsView(params);
  } catch (err) {
    view.replaceChildren(h("div", { class: "error", id: "error" }, err.message));
    done("error");
  }
}

addEventListener("hashchange", route);
route();
