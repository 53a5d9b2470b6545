#!/usr/bin/python3
"""Execute one Jupyter notebook headlessly with the project's Deno kernel and check its outputs.

Run with Debian's Python (`/usr/bin/python3`, which has jupyter_client, nbformat and nbconvert).
The TypeScript side (`lib/notebooks/run.ts`) sets JUPYTER_PATH and friends and parses the single
JSON report line this script prints on stdout; progress goes to stderr as JSON lines.

Why not nbclient: the Deno 2.9.x kernel can publish a cell's last outputs on iopub AFTER it has
reported `status: idle`. nbclient stops reading at idle and silently drops them. This runner keeps
reading iopub after idle (and after the shell reply) until the channel has been quiet for
`--quiet` seconds, and attributes any later message to the cell it belongs to by parent msg_id.

A code cell must produce at least one output unless it carries the tag `no-output`; an empty
output list is reported as an error so lost outputs cannot pass unnoticed.

Large outputs: the Deno 2.9.x kernel delivers a multi-megabyte iopub message (e.g. a figure with
plotly.js inlined) late -- seconds after `status: idle` -- or with an HMAC signature that does not
match its frames ("Invalid Signature"), when the machine is loaded. The TypeScript side therefore
tells the kernel (FMNIST_PLOTLY_JS=page) to keep plotly.js out of the outputs and passes the
script once as --head-html, which this runner puts into the <head> of the HTML export of a
notebook with plotly outputs.

Exit status: 0 all cells ran and produced their outputs, 1 the notebook failed (the report names
the cell and the error), 2 bad usage or an unreadable notebook.
"""

import argparse
import json
import os
import queue
import sys
import tempfile
import time

import nbformat
from nbformat.v4 import output_from_msg

NO_OUTPUT_TAG = "no-output"
OUTPUT_MSG_TYPES = {"stream", "display_data", "execute_result", "error"}


def log(msg, **fields):
    """One structured progress line on stderr."""
    rec = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "level": "info", "msg": msg}
    rec.update(fields)
    sys.stderr.write(json.dumps(rec) + "\n")
    sys.stderr.flush()


class CellFailure(Exception):
    """A cell failed: raised an error, produced no output, timed out, or the kernel died."""

    def __init__(self, kind, ename, evalue, traceback=None):
        super().__init__(f"{kind}: {ename}: {evalue}")
        self.kind = kind
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback or []


class CellOutputs:
    """Output list of one cell, built from iopub messages the way Jupyter frontends do."""

    def __init__(self, cell):
        self.cell = cell
        self.cell.outputs = []
        self.clear_pending = False
        self.error = None
        self.after_idle = 0  # output messages that arrived after the kernel reported idle

    def add(self, msg):
        """Apply one iopub message addressed to this cell."""
        mtype = msg["msg_type"]
        content = msg["content"]
        if mtype == "execute_input":
            self.cell.execution_count = content.get("execution_count")
            return
        if mtype == "clear_output":
            if content.get("wait"):
                self.clear_pending = True
            else:
                self.cell.outputs = []
            return
        if mtype == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for out in self.cell.outputs:
                if display_id and out.get("metadata", {}).get("_display_id") == display_id:
                    out["data"] = content.get("data", {})
                    out["metadata"] = dict(content.get("metadata", {}), _display_id=display_id)
            return
        if mtype not in OUTPUT_MSG_TYPES:
            return
        if self.clear_pending:
            self.cell.outputs = []
            self.clear_pending = False
        if mtype == "stream":
            outs = self.cell.outputs
            if outs and outs[-1]["output_type"] == "stream" and outs[-1]["name"] == content["name"]:
                outs[-1]["text"] += content["text"]
                return
        out = output_from_msg(msg)
        if mtype == "error":
            self.error = CellFailure(
                "error", content.get("ename", "Error"), content.get("evalue", ""),
                content.get("traceback", []),
            )
        self.cell.outputs.append(out)

    def finalize(self):
        """Drop the private display-id bookkeeping before the notebook is written."""
        for out in self.cell.outputs:
            md = out.get("metadata")
            if isinstance(md, dict):
                md.pop("_display_id", None)


class Runner:
    """Runs the code cells of one notebook on a fresh kernel, in order."""

    def __init__(self, km, kc, cell_timeout, quiet):
        self.km = km
        self.kc = kc
        self.cell_timeout = cell_timeout
        self.quiet = quiet
        self.by_msg_id = {}  # execute msg_id -> (cell index, CellOutputs)

    def route(self, msg, current_id):
        """Deliver an iopub message to the cell it belongs to; True if it is for `current_id`."""
        parent = msg.get("parent_header", {}).get("msg_id")
        target = self.by_msg_id.get(parent)
        if target is None:
            return False
        index, outputs = target
        if msg["msg_type"] == "display_data":
            display_id = msg["content"].get("transient", {}).get("display_id")
            if display_id:
                msg["content"].setdefault("metadata", {})["_display_id"] = display_id
        outputs.add(msg)
        if parent != current_id and msg["msg_type"] not in ("status",):
            log("late output routed to an earlier cell", cell=index, msg_type=msg["msg_type"])
        return parent == current_id

    def run_cell(self, index, cell):
        """Execute one cell; returns when it is done and iopub has been quiet for a while."""
        outputs = CellOutputs(cell)
        msg_id = self.kc.execute(cell.source, store_history=True, allow_stdin=False,
                                 stop_on_error=True)
        self.by_msg_id[msg_id] = (index, outputs)
        start = time.monotonic()
        deadline = start + self.cell_timeout
        idle = False
        reply = None
        last_activity = start
        while True:
            now = time.monotonic()
            if idle and reply is not None and now - last_activity >= self.quiet:
                break
            if now > deadline:
                self.km.interrupt_kernel()
                raise CellFailure("timeout", "CellTimeoutError",
                                  f"cell did not finish within {self.cell_timeout:g} s; "
                                  "raise --cell-timeout or make the cell faster")
            if reply is None:
                try:
                    shell = self.kc.get_shell_msg(timeout=0)
                    if shell.get("parent_header", {}).get("msg_id") == msg_id:
                        reply = shell
                        last_activity = time.monotonic()
                except queue.Empty:
                    pass
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                if not self.km.is_alive():
                    raise CellFailure("kernel-died", "DeadKernelError",
                                      "the kernel process exited while the cell was running")
                continue
            if self.route(msg, msg_id):
                last_activity = time.monotonic()
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
                elif idle and msg["msg_type"] in OUTPUT_MSG_TYPES:
                    outputs.after_idle += 1
        outputs.finalize()
        if outputs.error is not None:
            raise outputs.error
        content = reply["content"]
        if content.get("status") == "error":
            raise CellFailure("error", content.get("ename", "Error"), content.get("evalue", ""),
                              content.get("traceback", []))
        if content.get("status") == "abort":
            raise CellFailure("error", "ExecutionAborted", "the kernel aborted the execution")
        if cell.execution_count is None:
            cell.execution_count = content.get("execution_count")
        tags = cell.get("metadata", {}).get("tags", [])
        if not cell.outputs and NO_OUTPUT_TAG not in tags:
            raise CellFailure(
                "no-output", "MissingOutputError",
                "the cell produced no output; display a result, or tag the cell "
                f"'{NO_OUTPUT_TAG}' if it is meant to be silent")
        return time.monotonic() - start, outputs.after_idle

    def drain(self):
        """Read whatever is still in flight for earlier cells until iopub is quiet."""
        last = time.monotonic()
        while time.monotonic() - last < self.quiet:
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            self.route(msg, None)
            last = time.monotonic()


def atomic_write(path, text):
    """Write `text` to `path` via a sibling temp file and rename."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


PLOTLY_MIME = "application/vnd.plotly.v1+json"


def has_plotly_output(nb):
    """True when a code cell shows a plotly figure."""
    return any(PLOTLY_MIME in out.get("data", {})
               for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []))


def export_html(nb, path, head_html=None):
    """Export an executed notebook to standalone HTML (nbconvert's lab template); `head_html`
    (e.g. the plotly.js script) goes into <head> when the notebook shows plotly figures."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb)
    if head_html and has_plotly_output(nb):
        at = body.find("</head>")
        if at < 0:
            raise ValueError("nbconvert's HTML has no </head> to put the plotly.js script into")
        body = body[:at] + head_html + "\n" + body[at:]
    atomic_write(path, body)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", required=True, help="notebook to execute")
    parser.add_argument("--output", required=True, help="where to write the executed notebook")
    parser.add_argument("--failed-output",
                        help="where to write the partly executed notebook on failure "
                             "(default: --output)")
    parser.add_argument("--html", help="where to write the HTML export (skipped when absent)")
    parser.add_argument("--head-html",
                        help="file whose HTML goes into the export's <head> when it shows plotly "
                             "figures (the plotly.js script)")
    parser.add_argument("--cwd", help="kernel working directory (default: the notebook's)")
    parser.add_argument("--kernel", default="deno", help="kernel spec name")
    parser.add_argument("--cell-timeout", type=float, default=300.0, help="seconds per cell")
    parser.add_argument("--startup-timeout", type=float, default=60.0, help="kernel start, s")
    parser.add_argument("--quiet", type=float, default=0.5,
                        help="seconds iopub must stay quiet after idle before a cell is done")
    args = parser.parse_args(argv)

    report = {"ok": False, "notebook": args.input, "output": args.output, "cells": []}
    try:
        nb = nbformat.read(args.input, as_version=4)
    except Exception as e:  # noqa: BLE001 - any parse failure is bad input
        report["error"] = {"cell": None, "kind": "bad-notebook", "ename": type(e).__name__,
                           "evalue": f"cannot read {args.input}: {e}", "traceback": []}
        print(json.dumps(report))
        return 2

    from jupyter_client import KernelManager

    cwd = args.cwd or os.path.dirname(os.path.abspath(args.input))
    km = KernelManager(kernel_name=args.kernel)
    kc = None
    status = 1
    try:
        started = time.monotonic()
        km.start_kernel(cwd=cwd)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=args.startup_timeout)
        info = kc.kernel_info(reply=True, timeout=args.startup_timeout)["content"]
        nb.metadata["kernelspec"] = {"name": args.kernel, "display_name": km.kernel_spec.display_name,
                                     "language": km.kernel_spec.language}
        if "language_info" in info:
            nb.metadata["language_info"] = info["language_info"]
        log("kernel ready", notebook=args.input, seconds=round(time.monotonic() - started, 3))
        runner = Runner(km, kc, args.cell_timeout, args.quiet)
        code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        failure = None
        for n, (index, cell) in enumerate(code_cells, 1):
            if not cell.source.strip():
                continue
            try:
                seconds, after_idle = runner.run_cell(index, cell)
            except CellFailure as f:
                failure = (index, f)
                break
            report["cells"].append({"index": index, "execution_count": cell.execution_count,
                                    "outputs": len(cell.outputs), "seconds": round(seconds, 3),
                                    "after_idle": after_idle})
            log("cell done", notebook=args.input, cell=index, progress=f"{n}/{len(code_cells)}",
                outputs=len(cell.outputs), seconds=round(seconds, 3), after_idle=after_idle)
        runner.drain()
        if failure is not None:
            index, f = failure
            report["error"] = {"cell": index, "kind": f.kind, "ename": f.ename,
                               "evalue": f.evalue, "traceback": f.traceback}
        else:
            report["ok"] = True
            status = 0
        # Counts of late-routed outputs may have grown during drain; refresh them.
        for entry in report["cells"]:
            entry["outputs"] = len(nb.cells[entry["index"]].outputs)
        written = args.output if report["ok"] else (args.failed_output or args.output)
        atomic_write(written, nbformat.writes(nb))
        report["output"] = written
        if report["ok"] and args.html:
            head = None
            if args.head_html:
                with open(args.head_html, encoding="utf-8") as f:
                    head = f.read()
            export_html(nb, args.html, head)
            report["html"] = args.html
    except Exception as e:  # noqa: BLE001 - report kernel start/IO failures as JSON
        report["ok"] = False
        report["error"] = {"cell": None, "kind": "runner", "ename": type(e).__name__,
                           "evalue": str(e), "traceback": []}
        status = 1
    finally:
        if kc is not None:
            kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        del kc
    print(json.dumps(report))
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
