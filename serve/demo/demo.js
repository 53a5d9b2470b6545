// Demo page logic: model selector from /v1/models, a drawing pad and a file upload, predictions
// shown as a plotly bar chart of the class probabilities. Served by GET /demo (no CDN).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const pad = $("pad");
  const ctx = pad.getContext("2d");
  const select = $("model");
  let drawing = false;
  let last = null;
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

  function clearPad() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, pad.width, pad.height);
  }
  clearPad();

  function point(ev) {
    const r = pad.getBoundingClientRect();
    return {
      x: (ev.clientX - r.left) * (pad.width / r.width),
      y: (ev.clientY - r.top) * (pad.height / r.height),
    };
  }
  pad.addEventListener("pointerdown", (ev) => {
    drawing = true;
    last = point(ev);
    pad.setPointerCapture(ev.pointerId);
  });
  pad.addEventListener("pointermove", (ev) => {
    if (!drawing) return;
    const p = point(ev);
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 22;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
  });
  const stop = () => {
    drawing = false;
  };
  pad.addEventListener("pointerup", stop);
  pad.addEventListener("pointercancel", stop);

  function showError(msg) {
    $("error").textContent = msg;
  }

  async function loadModels() {
    try {
      const res = await fetch("/v1/models");
      const body = await res.json();
      if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
      select.innerHTML = "";
      for (const m of body.models) {
        const add = (label, path) => {
          const o = document.createElement("option");
          o.textContent = label;
          o.value = path;
          select.appendChild(o);
        };
        const name = encodeURIComponent(m.name);
        if (m.aliases.champion !== undefined) {
          add(`${m.name} (champion v${m.aliases.champion})`, `/v1/models/${name}/predict`);
        }
        for (const [alias, v] of Object.entries(m.aliases)) {
          if (alias !== "champion") {
            add(
              `${m.name} @${alias} (v${v})`,
              `/v1/models/${name}/aliases/${encodeURIComponent(alias)}/predict`,
            );
          }
        }
        if (m.latest_version) {
          add(
            `${m.name} v${m.latest_version} (latest)`,
            `/v1/models/${name}/versions/${m.latest_version}/predict`,
          );
        }
      }
      if (select.options.length === 0) {
        showError("No model is registered yet: train one (deno task pipeline).");
      }
      document.body.dataset.models = String(select.options.length);
    } catch (err) {
      showError(`Cannot list models: ${err.message}`);
    }
  }

  async function predict(blob, type) {
    showError("");
    if (!select.value) return showError("Pick a model first.");
    const res = await fetch(select.value, {
      method: "POST",
      headers: { "content-type": type },
      body: blob,
    });
    const body = await res.json();
    if (!res.ok) return showError(body.error?.message ?? `HTTP ${res.status}`);
    const p = body.predictions[0];
    $("result").textContent = `${p.label} — ${(100 * p.probabilities[p.class_id]).toFixed(1)}% ` +
      `(${body.model.name} v${body.model.version}, request ${
        res.headers.get("x-request-id") ?? "?"
      })`;
    const names = LABELS.length === p.probabilities.length
      ? LABELS
      : p.probabilities.map((_, i) => String(i));
    const colors = p.probabilities.map((_, i) => (i === p.class_id ? "#e8590c" : "#4c6ef5"));
    Plotly.react("chart", [{
      type: "bar",
      x: names,
      y: p.probabilities,
      marker: { color: colors },
      hovertemplate: "%{x}: %{y:.3f}<extra></extra>",
    }], {
      title: { text: `Class probabilities — ${p.label}` },
      yaxis: { range: [0, 1], title: { text: "probability" } },
      margin: { t: 50, b: 90, l: 60, r: 50 },
    }, { displayModeBar: false, responsive: true });
    document.body.dataset.predictions = String(Number(document.body.dataset.predictions ?? 0) + 1);
  }

  $("clear").addEventListener("click", clearPad);
  $("predict").addEventListener("click", () => {
    pad.toBlob(
      (blob) => predict(blob, "image/png").catch((e) => showError(e.message)),
      "image/png",
    );
  });
  $("file").addEventListener("change", () => {
    const f = $("file").files[0];
    if (!f) return;
    const img = $("preview");
    img.src = URL.createObjectURL(f);
    img.style.display = "inline-block";
    const type = f.type === "image/jpeg" || f.type === "image/png" ? f.type : "image/png";
    predict(f, type).catch((e) => showError(e.message));
  });
  loadModels();
})();
