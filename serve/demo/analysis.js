// Analysis page logic: test-set samples from /v1/datasets/latest/samples, predictions of one or two
// model versions (POST …/versions/{v}/predict), filters, and attributions (POST …/explain).
// Served by GET /analysis (no CDN). data-* attributes on <body> let tests follow its progress.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const PAGE = 60;
  const LABELS = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
  ];
  let samples = [];
  const preds = { A: [], B: [] };
  let explains = 0;

  function showError(msg) {
    $("error").textContent = msg;
  }
  async function getJson(url, init) {
    const res = await fetch(url, init);
    const body = await res.json();
    if (!res.ok) throw new Error(body?.error?.message ?? `${url}: HTTP ${res.status}`);
    return body;
  }
  function versionUrl(value) {
    const [name, v] = value.split("@");
    return `/v1/models/${encodeURIComponent(name)}/versions/${v}`;
  }

  async function loadModels() {
    const list = await getJson("/v1/models");
    for (const m of list.models) {
      const detail = await getJson(`/v1/models/${encodeURIComponent(m.name)}`);
      for (const v of detail.versions) {
        const text = `${m.name} v${v.version}${
          v.aliases.length ? ` (${v.aliases.join(", ")})` : ""
        }`;
        for (const id of ["modelA", "modelB"]) {
          const o = document.createElement("option");
          o.value = `${m.name}@${v.version}`;
          o.textContent = text;
          if (id === "modelA" && v.aliases.includes("champion")) o.selected = true;
          $(id).appendChild(o);
        }
      }
    }
  }

  async function loadSamples() {
    const label = $("label").value;
    const q = `split=test&limit=${PAGE}&pixels=true${label === "" ? "" : `&label=${label}`}`;
    const page = await getJson(`/v1/datasets/latest/samples?${q}`);
    samples = page.items;
  }

  async function predict(which) {
    const value = $(which === "A" ? "modelA" : "modelB").value;
    if (!value || samples.length === 0) {
      preds[which] = [];
      return;
    }
    const body = await getJson(`${versionUrl(value)}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: samples.map((s) => s.pixels.map((p) => p / 255)) }),
    });
    preds[which] = body.predictions;
  }

  function drawImage(canvas, pixels) {
    canvas.width = 28;
    canvas.height = 28;
    const c = canvas.getContext("2d");
    const img = c.createImageData(28, 28);
    pixels.forEach((v, i) => {
      img.data.set([v, v, v, 255], i * 4);
    });
    c.putImageData(img, 0, 0);
  }

  function render() {
    const grid = $("grid");
    grid.replaceChildren();
    const filter = $("filter").value;
    const compare = preds.B.length === samples.length && preds.B.length > 0;
    let shown = 0, wrong = 0;
    samples.forEach((s, i) => {
      const a = preds.A[i];
      if (!a) return;
      const b = compare ? preds.B[i] : null;
      const ok = a.class_id === s.label;
      const disagree = b !== null && b.class_id !== a.class_id;
      if (filter === "wrong" && ok) return;
      if (filter === "right" && !ok) return;
      if (filter === "disagree" && !disagree) return;
      const cell = document.createElement("div");
      cell.className = `cell${ok ? "" : " wrong"}${disagree ? " disagree" : ""}`;
      cell.dataset.index = String(s.index);
      cell.dataset.label = String(s.label);
      const canvas = document.createElement("canvas");
      drawImage(canvas, s.pixels);
      const cap = document.createElement("div");
      cap.textContent =
        `#${s.index} ${LABELS[s.label]} → ${a.label} ${
          (a.probabilities[a.class_id] * 100).toFixed(0)
        }%` +
        (b ? ` | B: ${b.label} ${(b.probabilities[b.class_id] * 100).toFixed(0)}%` : "");
      cell.append(canvas, cap);
      cell.addEventListener("click", () => explain(s).catch((e) => showError(e.message)));
      grid.appendChild(cell);
      shown++;
      if (!ok) wrong++;
    });
    $("summary").textContent =
      `${shown} of ${samples.length} images shown; ${wrong} misclassified among them`;
    document.body.dataset.cells = String(shown);
  }

  async function explain(s) {
    const method = $("method").value;
    const body = await getJson(`${versionUrl($("modelA").value)}/explain?method=${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: [s.pixels.map((p) => p / 255)] }),
    });
    const inst = body.instances[0];
    const img = $("overlay");
    img.onload = () => {
      document.body.dataset.explained = String(++explains);
    };
    img.src = `data:image/png;base64,${inst.png}`;
    img.hidden = false;
    $("explained").textContent = `#${s.index} (${LABELS[s.label]}): ${method} for class ` +
      `${inst.target_label}, predicted ${inst.label} at ${(inst.probability * 100).toFixed(1)}% ` +
      `(v${body.model.version}, ${body.ms.toFixed(0)} ms)`;
  }

  async function refresh(reload) {
    try {
      showError("");
      if (reload) await loadSamples();
      await Promise.all([predict("A"), predict("B")]);
      render();
    } catch (err) {
      showError(err.message);
    }
  }

  LABELS.forEach((l, i) => {
    const o = document.createElement("option");
    o.value = String(i);
    o.textContent = l;
    $("label").appendChild(o);
  });
  $("label").addEventListener("change", () => refresh(true));
  $("modelA").addEventListener("change", () => refresh(false));
  $("modelB").addEventListener("change", () => refresh(false));
  $("filter").addEventListener("change", render);
  loadModels().then(() => refresh(true)).catch((err) => showError(`Cannot load: ${err.message}`));
})();
