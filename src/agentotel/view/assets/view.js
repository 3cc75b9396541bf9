// agentotel view: renders the page's embedded JSON. Every value from a span is set
// with textContent or as an attribute value, never parsed as markup.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("agentotel-data").textContent);
  var config = JSON.parse(document.getElementById("agentotel-config").textContent);
  var app = document.getElementById("app");
  var SVGNS = "http://www.w3.org/2000/svg";
  var ROW = 24;
  var OVERSCAN = 40;
  var PAGE = 100;

  // -- small helpers ---------------------------------------------------------------
  function h(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === null || value === undefined) return;
        if (key === "className") node.className = value;
        else if (key === "text") node.textContent = String(value);
        else if (key === "onclick") node.addEventListener("click", value);
        else if (key === "style") Object.assign(node.style, value);
        else node.setAttribute(key, String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function s(tag, attrs, children) {
    var node = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, String(attrs[key]));
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function fmtMs(v) {
    if (v === null || v === undefined) return "–";
    if (v >= 60000) return (v / 60000).toFixed(1) + " min";
    if (v >= 1000) return (v / 1000).toFixed(2) + " s";
    if (v >= 10) return v.toFixed(0) + " ms";
    return v.toFixed(2) + " ms";
  }
  function fmtNum(v) {
    if (v === null || v === undefined) return "–";
    return Number(v).toLocaleString("en-US");
  }
  function fmtCost(v) {
    if (v === null || v === undefined) return "–";
    return "$" + (v < 0.01 ? v.toFixed(6) : v.toFixed(4));
  }
  function fmtValue(v) {
    if (typeof v === "string") return v;
    return JSON.stringify(v);
  }
  function category(op) {
    if (op === "chat" || op === "text_completion" || op === "generate_content" || op === "embeddings")
      return "llm";
    if (op === "execute_tool") return "tool";
    if (op === "invoke_agent" || op === "create_agent") return "agent";
    if (op === "invoke_workflow") return "workflow";
    return "other";
  }
  function traceHref(id) {
    return config.links ? "/trace/" + encodeURIComponent(id) : null;
  }
  function idCell(id, href) {
    if (href) return h("a", { href: href, className: "mono", text: id.slice(0, 16) });
    return h("span", { className: "mono", title: "agentotel view " + id, text: id.slice(0, 16) });
  }
  function stat(label, value) {
    return h("div", { className: "stat" }, [
      h("div", { className: "stat-label", text: label }),
      h("div", { className: "stat-value", text: value }),
    ]);
  }
  function section(title, body, extraClass) {
    return h("section", { className: "card " + (extraClass || "") }, [h("h2", { text: title }), body]);
  }
  function table(columns, rows, rowClass) {
    var head = h("tr", null, columns.map(function (c) {
      return h("th", { text: c.label, className: c.num ? "num" : null });
    }));
    var body = h("tbody", null, rows.map(function (row) {
      return h("tr", { className: rowClass ? rowClass(row) : null }, columns.map(function (c) {
        var v = c.value(row);
        var cell = h("td", { className: c.num ? "num" : null });
        if (v instanceof Node) cell.appendChild(v);
        else cell.textContent = v === null || v === undefined ? "–" : String(v);
        return cell;
      }));
    }));
    return h("table", { className: "grid" }, [h("thead", null, [head]), body]);
  }

  // -- charts (inline SVG) -----------------------------------------------------------
  function histogram(title, values, fmt) {
    var w = 320, hgt = 140, pad = 24, bins = 20;
    var nums = values.filter(function (v) { return typeof v === "number" && isFinite(v); });
    var root = s("svg", { viewBox: "0 0 " + w + " " + hgt, class: "chart", role: "img" });
    root.appendChild(s("title", {}, [title]));
    if (!nums.length) {
      root.appendChild(s("text", { x: 10, y: 20, class: "axis" }, ["no data"]));
      return h("figure", { className: "chart-box" }, [root, h("figcaption", { text: title })]);
    }
    var lo = Math.min.apply(null, nums), hi = Math.max.apply(null, nums);
    var span = hi - lo || 1;
    var counts = new Array(bins).fill(0);
    nums.forEach(function (v) {
      counts[Math.min(bins - 1, Math.floor(((v - lo) / span) * bins))] += 1;
    });
    var top = Math.max.apply(null, counts);
    var bw = (w - 2 * pad) / bins;
    counts.forEach(function (c, i) {
      var bh = top ? (c / top) * (hgt - 2 * pad) : 0;
      var rect = s("rect", {
        x: pad + i * bw + 1, y: hgt - pad - bh, width: bw - 2, height: bh, class: "bar",
      });
      rect.appendChild(s("title", {}, [
        fmt(lo + (i * span) / bins) + " – " + fmt(lo + ((i + 1) * span) / bins) + ": " + c,
      ]));
      root.appendChild(rect);
    });
    root.appendChild(s("text", { x: pad, y: hgt - 6, class: "axis" }, [fmt(lo)]));
    root.appendChild(s("text", { x: w - pad, y: hgt - 6, class: "axis", "text-anchor": "end" }, [fmt(hi)]));
    return h("figure", { className: "chart-box" }, [root, h("figcaption", { text: title })]);
  }
  function hbars(title, rows, max, fmt) {
    var w = 320, rh = 20, pad = 110;
    var hgt = Math.max(40, rows.length * rh + 10);
    var root = s("svg", { viewBox: "0 0 " + w + " " + hgt, class: "chart", role: "img" });
    root.appendChild(s("title", {}, [title]));
    if (!rows.length) root.appendChild(s("text", { x: 10, y: 20, class: "axis" }, ["no data"]));
    rows.forEach(function (r, i) {
      var y = 5 + i * rh;
      var bw = max ? (r.value / max) * (w - pad - 50) : 0;
      root.appendChild(s("text", { x: pad - 6, y: y + 13, class: "axis", "text-anchor": "end" }, [
        String(r.label).slice(0, 18),
      ]));
      root.appendChild(s("rect", { x: pad, y: y + 2, width: Math.max(bw, 1), height: rh - 6, class: "bar " + (r.cls || "") }));
      root.appendChild(s("text", { x: pad + bw + 4, y: y + 13, class: "axis" }, [fmt(r.value)]));
    });
    return h("figure", { className: "chart-box" }, [root, h("figcaption", { text: title })]);
  }

  // -- trace page --------------------------------------------------------------------
  function conversation(content) {
    var out = h("div", { className: "conversation" });
    function part(p) {
      if (!p || typeof p !== "object") return h("div", { className: "part", text: fmtValue(p) });
      var type = p.type || "unknown";
      var label = h("span", { className: "part-type", text: type });
      var body;
      if (type === "text" || type === "reasoning") body = h("div", { className: "part-text", text: p.content });
      else if (type === "tool_call")
        body = h("div", { className: "part-text mono", text: (p.name || "") + "(" + fmtValue(p.arguments) + ")" + (p.id ? "  #" + p.id : "") });
      else if (type === "tool_call_response")
        body = h("div", { className: "part-text mono", text: fmtValue(p.response) + (p.id ? "  #" + p.id : "") });
      else body = h("div", { className: "part-text mono", text: fmtValue(p) });
      return h("div", { className: "part" }, [label, body]);
    }
    function message(m, fallbackRole) {
      var role = (m && m.role) || fallbackRole;
      var parts = (m && Array.isArray(m.parts)) ? m.parts : [m];
      return h("div", { className: "msg role-" + String(role).replace(/[^a-z_]/g, "") }, [
        h("div", { className: "msg-role", text: role + (m && m.finish_reason ? " · " + m.finish_reason : "") }),
      ].concat(parts.map(part)));
    }
    var sys = content["gen_ai.system_instructions"];
    if (Array.isArray(sys)) out.appendChild(message({ role: "system", parts: sys }, "system"));
    else if (sys !== undefined) out.appendChild(message({ role: "system", parts: [sys] }, "system"));
    [["gen_ai.input.messages", "input"], ["gen_ai.output.messages", "assistant"]].forEach(function (pair) {
      var msgs = content[pair[0]];
      if (Array.isArray(msgs)) msgs.forEach(function (m) { out.appendChild(message(m, pair[1])); });
      else if (msgs !== undefined) out.appendChild(message({ role: pair[1], parts: [msgs] }, pair[1]));
    });
    return out;
  }

  function renderTrace() {
    var t = data.trace;
    var spans = data.spans;
    var total = Math.max.apply(null, spans.map(function (x) { return x.start + x.duration; }).concat([0.001]));
    var byId = {};
    var hasKids = {};
    spans.forEach(function (x) { byId[x.id] = x; });
    spans.forEach(function (x) { if (x.parent && byId[x.parent]) hasKids[x.parent] = true; });
    var collapsed = {};
    var selected = null;
    var failed = spans.length && spans[0].status === "error";

    app.appendChild(h("header", { className: "top" }, [
      h("h1", { text: data.title }),
      h("div", { className: "sub mono", text: "trace " + t.trace_id }),
      h("div", { className: "stats" }, [
        stat("status", failed ? "failed" : t.error_count ? t.error_count + " error span(s)" : "ok"),
        stat("duration", fmtMs(t.duration_ms)),
        stat("spans", fmtNum(t.span_count)),
        stat("LLM calls", fmtNum(t.llm_calls)),
        stat("tool calls", fmtNum(t.tool_calls)),
        stat("tokens in / out", fmtNum(t.input_tokens) + " / " + fmtNum(t.output_tokens)),
        stat("cost", fmtCost(t.cost_usd)),
      ]),
    ]));

    var axis = h("div", { className: "wf-axis" });
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
      axis.appendChild(h("span", { className: "tick", style: { left: f * 100 + "%" }, text: fmtMs(total * f) }));
    });
    var spacer = h("div", { className: "wf-spacer", id: "wf-spacer" });
    var viewport = h("div", { className: "wf-viewport", id: "wf-viewport" }, [spacer]);
    var detail = h("aside", { className: "detail card", id: "detail" }, [
      h("p", { className: "muted", text: "Click a span to see its attributes, events, links and messages." }),
    ]);
    var legend = h("div", { className: "legend" }, ["llm", "tool", "agent", "workflow", "other"].map(function (c) {
      return h("span", { className: "legend-item" }, [h("i", { className: "swatch cat-" + c }), c]);
    }));
    app.appendChild(h("div", { className: "layout" }, [
      h("section", { className: "card waterfall" }, [
        h("div", { className: "wf-head" }, [h("div", { className: "wf-name-head", text: "span" }), axis]),
        viewport,
        legend,
      ]),
      detail,
    ]));

    var visible = [];
    function computeVisible() {
      visible = [];
      var skipDepth = -1;
      spans.forEach(function (x) {
        if (skipDepth >= 0 && x.depth > skipDepth) return;
        skipDepth = -1;
        visible.push(x);
        if (collapsed[x.id]) skipDepth = x.depth;
      });
      spacer.style.height = visible.length * ROW + "px";
      spacer.setAttribute("data-rows", String(visible.length));
    }
    function row(x, i) {
      var cat = category(x.operation);
      var name = h("div", { className: "wf-name", style: { paddingLeft: 6 + x.depth * 14 + "px" } });
      if (hasKids[x.id]) {
        name.appendChild(h("button", {
          className: "toggle", "aria-label": collapsed[x.id] ? "expand" : "collapse",
          text: collapsed[x.id] ? "▸" : "▾",
          onclick: function (ev) {
            ev.stopPropagation();
            collapsed[x.id] = !collapsed[x.id];
            computeVisible();
            draw(true);
          },
        }));
      } else {
        name.appendChild(h("span", { className: "toggle-space" }));
      }
      if (x.status === "error") name.appendChild(h("span", { className: "err-mark", title: x.error_type || "error", text: "!" }));
      name.appendChild(h("span", { className: "wf-label", text: x.name }));
      var left = (x.start / total) * 100;
      var width = Math.max((x.duration / total) * 100, 0.3);
      var bar = h("div", {
        className: "wf-bar cat-" + cat + (x.status === "error" ? " is-error" : ""),
        style: { left: left + "%", width: width + "%" },
        "data-span-id": x.id,
        title: x.name + " · " + fmtMs(x.duration),
      });
      var label = h("span", { className: "wf-dur", style: { left: left + width + "%" }, text: fmtMs(x.duration) });
      var node = h("div", {
        className: "wf-row" + (selected === x.id ? " selected" : ""),
        style: { top: i * ROW + "px" },
        "data-span-id": x.id,
        onclick: function () { select(x.id); },
      }, [name, h("div", { className: "wf-track" }, [bar, label])]);
      return node;
    }
    var drawn = [-1, -1];
    function draw(force) {
      var first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - OVERSCAN);
      var last = Math.min(visible.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW) + OVERSCAN);
      if (!force && first === drawn[0] && last === drawn[1]) return;
      drawn = [first, last];
      spacer.textContent = "";
      for (var i = first; i < last; i++) spacer.appendChild(row(visible[i], i));
    }
    var pending = false;
    viewport.addEventListener("scroll", function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; draw(false); });
    });

    function select(id) {
      var x = byId[id];
      if (!x) return;
      selected = id;
      // Reveal a collapsed span, then bring it into view.
      var p = x.parent;
      while (p && byId[p]) { collapsed[p] = false; p = byId[p].parent; }
      computeVisible();
      var index = visible.indexOf(x);
      if (index >= 0 && (index * ROW < viewport.scrollTop || index * ROW > viewport.scrollTop + viewport.clientHeight - ROW))
        viewport.scrollTop = Math.max(0, index * ROW - viewport.clientHeight / 3);
      draw(true);
      showDetail(x);
    }
    function showDetail(x) {
      detail.textContent = "";
      detail.appendChild(h("h2", { className: "detail-title", text: x.name }));
      detail.appendChild(h("div", { className: "chips" }, [
        h("span", { className: "chip cat-" + category(x.operation), text: x.operation || x.kind }),
        h("span", { className: "chip", text: x.kind }),
        h("span", { className: "chip" + (x.status === "error" ? " chip-error" : ""), text: x.status }),
        h("span", { className: "chip", text: fmtMs(x.duration) }),
      ]));
      if (x.status === "error")
        detail.appendChild(h("div", { className: "error-box", text: (x.error_type || "error") + (x.status_message ? ": " + x.status_message : "") }));
      var facts = [["span id", x.id], ["model", x.model], ["provider", x.provider], ["agent", x.agent], ["tool", x.tool],
        ["input tokens", x.input_tokens], ["output tokens", x.output_tokens], ["cost", x.cost_usd === null ? null : fmtCost(x.cost_usd)]]
        .filter(function (f) { return f[1] !== null && f[1] !== undefined; });
      detail.appendChild(h("dl", { className: "facts" }, facts.reduce(function (acc, f) {
        return acc.concat([h("dt", { text: f[0] }), h("dd", { className: "mono", text: fmtValue(f[1]) })]);
      }, [])));
      if (Object.keys(x.content).length) {
        detail.appendChild(h("h3", { text: "Messages" }));
        detail.appendChild(conversation(x.content));
      }
      var keys = Object.keys(x.attributes).sort();
      detail.appendChild(h("h3", { text: "Attributes (" + keys.length + ")" }));
      detail.appendChild(h("table", { className: "attrs" }, [h("tbody", null, keys.map(function (k) {
        return h("tr", null, [h("th", { className: "mono", text: k }), h("td", { className: "mono", text: fmtValue(x.attributes[k]) })]);
      }))]));
      if (x.events.length) {
        detail.appendChild(h("h3", { text: "Events (" + x.events.length + ")" }));
        detail.appendChild(h("ul", { className: "events" }, x.events.map(function (e) {
          return h("li", null, [h("div", { className: "mono", text: e.name + "  " + (e.time || "") }),
            h("div", { className: "mono muted", text: JSON.stringify(e.attributes) })]);
        })));
      }
      if (x.links.length) {
        detail.appendChild(h("h3", { text: "Links (" + x.links.length + ")" }));
        detail.appendChild(h("ul", { className: "links" }, x.links.map(function (l) {
          var inTrace = byId[l.span_id] && l.trace_id === data.trace.trace_id;
          var label = (inTrace ? byId[l.span_id].name + " · " : "") + "span " + l.span_id + (inTrace ? "" : " (trace " + l.trace_id + ")");
          var item = inTrace
            ? h("button", { className: "linkish", text: label, onclick: function () { select(l.span_id); } })
            : h("span", { className: "mono", text: label });
          return h("li", null, [item, h("div", { className: "mono muted", text: JSON.stringify(l.attributes) })]);
        })));
      }
      var incoming = data.spans.filter(function (o) {
        return o.links.some(function (l) { return l.span_id === x.id; });
      });
      if (incoming.length) {
        detail.appendChild(h("h3", { text: "Linked from" }));
        detail.appendChild(h("ul", { className: "links" }, incoming.map(function (o) {
          return h("li", null, [h("button", { className: "linkish", text: o.name, onclick: function () { select(o.id); } })]);
        })));
      }
    }

    if (data.agents.length) {
      app.appendChild(section("Per agent", table([
        { label: "agent", value: function (r) { return r.name; } },
        { label: "operation", value: function (r) { return r.operation; } },
        { label: "LLM calls", num: true, value: function (r) { return fmtNum(r.llm_calls); } },
        { label: "tool calls", num: true, value: function (r) { return fmtNum(r.tool_calls); } },
        { label: "tokens in", num: true, value: function (r) { return fmtNum(r.input_tokens); } },
        { label: "tokens out", num: true, value: function (r) { return fmtNum(r.output_tokens); } },
        { label: "cost", num: true, value: function (r) { return fmtCost(r.cost_usd); } },
      ], data.agents)));
    }
    computeVisible();
    draw(true);
  }

  // -- run page ----------------------------------------------------------------------
  function renderRun() {
    var rows = data.traces;
    var failed = rows.filter(function (r) { return r.errors > 0; }).length;
    var sum = function (key) { return rows.reduce(function (a, r) { return a + (r[key] || 0); }, 0); };
    var costs = rows.filter(function (r) { return r.cost_usd !== null; });
    app.appendChild(h("header", { className: "top" }, [
      h("h1", { text: data.title }),
      data.truncated ? h("div", { className: "warn", text: "Showing the newest " + rows.length + " traces of this run." }) : null,
      h("div", { className: "stats" }, [
        stat("traces", fmtNum(rows.length)),
        stat("with errors", fmtNum(failed)),
        stat("LLM calls", fmtNum(sum("llm_calls"))),
        stat("tool calls", fmtNum(sum("tool_calls"))),
        stat("tokens in / out", fmtNum(sum("input_tokens")) + " / " + fmtNum(sum("output_tokens"))),
        stat("cost", costs.length ? fmtCost(sum("cost_usd")) : "–"),
      ]),
    ]));
    var maxRate = 1;
    app.appendChild(h("div", { className: "charts" }, [
      histogram("latency per trace", rows.map(function (r) { return r.duration; }), fmtMs),
      histogram("tokens per trace", rows.map(function (r) { return (r.input_tokens || 0) + (r.output_tokens || 0); }), function (v) { return fmtNum(Math.round(v)); }),
      histogram("cost per trace", costs.map(function (r) { return r.cost_usd; }), fmtCost),
      hbars("tool error rate", data.tools.map(function (t) {
        return { label: t.tool, value: t.error_rate, cls: t.errors ? "bad" : "" };
      }), maxRate, function (v) { return (v * 100).toFixed(0) + "%"; }),
    ]));
    if (data.evaluations.length) {
      app.appendChild(section("Evaluation results", table([
        { label: "evaluator", value: function (r) { return r.name; } },
        { label: "label", value: function (r) { return r.label; } },
        { label: "score", num: true, value: function (r) { return r.score; } },
        { label: "trace", value: function (r) { return idCell(r.trace_id, traceHref(r.trace_id)); } },
        { label: "explanation", value: function (r) { return r.explanation; } },
      ], data.evaluations, function (r) { return r.label === "fail" ? "row-error" : null; })));
    }
    var sortKey = "start", sortDesc = true, page = 0;
    var holder = h("div");
    var columns = [
      { key: "errors", label: "status", value: function (r) { return r.errors ? "error" : "ok"; } },
      { key: "trace_id", label: "trace", value: function (r) { return idCell(r.trace_id, traceHref(r.trace_id)); } },
      { key: "root", label: "root", value: function (r) { return r.root; } },
      { key: "start", label: "start", value: function (r) { return r.start; } },
      { key: "duration", label: "duration", num: true, value: function (r) { return fmtMs(r.duration); } },
      { key: "llm_calls", label: "LLM", num: true, value: function (r) { return fmtNum(r.llm_calls); } },
      { key: "tool_calls", label: "tools", num: true, value: function (r) { return fmtNum(r.tool_calls); } },
      { key: "input_tokens", label: "tokens in", num: true, value: function (r) { return fmtNum(r.input_tokens); } },
      { key: "output_tokens", label: "tokens out", num: true, value: function (r) { return fmtNum(r.output_tokens); } },
      { key: "cost_usd", label: "cost", num: true, value: function (r) { return fmtCost(r.cost_usd); } },
    ];
    function drawTable() {
      var sorted = rows.slice().sort(function (a, b) {
        var x = a[sortKey], y = b[sortKey];
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * (sortDesc ? -1 : 1);
      });
      var pages = Math.max(1, Math.ceil(sorted.length / PAGE));
      page = Math.min(page, pages - 1);
      var slice = sorted.slice(page * PAGE, (page + 1) * PAGE);
      var t = table(columns, slice, function (r) { return r.errors ? "row-error" : null; });
      t.id = "run-traces";
      Array.prototype.forEach.call(t.querySelectorAll("th"), function (th, i) {
        th.classList.add("sortable");
        th.addEventListener("click", function () {
          var key = columns[i].key;
          sortDesc = sortKey === key ? !sortDesc : true;
          sortKey = key;
          drawTable();
        });
      });
      holder.textContent = "";
      holder.appendChild(t);
      holder.appendChild(h("div", { className: "pager" }, [
        h("button", { text: "‹ newer", disabled: page === 0 ? "" : null, onclick: function () { page -= 1; drawTable(); } }),
        h("span", { text: "page " + (page + 1) + " of " + pages }),
        h("button", { text: "older ›", disabled: page >= pages - 1 ? "" : null, onclick: function () { page += 1; drawTable(); } }),
      ]));
    }
    app.appendChild(section("Traces", holder));
    drawTable();
  }

  // -- compare page ------------------------------------------------------------------
  function renderCompare() {
    var c = data.comparison;
    app.appendChild(h("header", { className: "top" }, [
      h("h1", { text: "compare" }),
      h("div", { className: "verdict verdict-" + String(c.verdict).toLowerCase(), text: String(c.verdict).toUpperCase() }),
      h("div", { className: "stats" }, [
        stat("baseline", c.baseline.selector + " (" + c.baseline.traces + " traces)"),
        stat("candidate", c.candidate.selector + " (" + c.candidate.traces + " traces)"),
        stat("confidence", String(c.confidence)),
      ]),
    ]));
    var boxes = c.metrics.map(function (m) {
      var verdict = String(m.verdict).toLowerCase();
      var max = Math.max(Math.abs(m.baseline || 0), Math.abs(m.candidate || 0));
      var fmt = function (v) {
        if (m.unit === "ms") return fmtMs(v);
        if (m.unit === "USD") return fmtCost(v);
        if (/_rate$/.test(m.metric)) return (v * 100).toFixed(1) + "%";
        return fmtNum(Math.round(v * 100) / 100);
      };
      var fig = hbars(m.metric, [
        { label: "baseline", value: m.baseline || 0 },
        { label: "candidate", value: m.candidate || 0, cls: verdict === "regressed" ? "bad" : verdict === "improved" ? "good" : "" },
      ], max, fmt);
      fig.classList.add("metric-" + verdict);
      fig.appendChild(h("div", { className: "muted", text: m.verdict + (m.relative !== null ? " · " + (m.relative * 100).toFixed(1) + "%" : "") +
        " · n=" + m.samples.baseline + "/" + m.samples.candidate }));
      return fig;
    });
    app.appendChild(section("Metrics", h("div", { className: "charts" }, boxes)));
    app.appendChild(section("Details", table([
      { label: "metric", value: function (m) { return m.metric; } },
      { label: "baseline", num: true, value: function (m) { return m.baseline; } },
      { label: "candidate", num: true, value: function (m) { return m.candidate; } },
      { label: "relative", num: true, value: function (m) { return m.relative === null ? null : (m.relative * 100).toFixed(1) + "%"; } },
      { label: "verdict", value: function (m) { return m.verdict; } },
    ], c.metrics)));
  }

  // -- index (serve mode) ------------------------------------------------------------
  function renderIndex() {
    app.appendChild(h("header", { className: "top" }, [h("h1", { text: "agentotel" }),
      h("div", { className: "sub", text: data.store })]));
    app.appendChild(section("Runs", h("ul", { className: "runs" }, data.runs.map(function (r) {
      return h("li", null, [h("a", { href: "/run/" + encodeURIComponent(r), className: "mono", text: r })]);
    }))));
    app.appendChild(section("Recent traces", table([
      { label: "status", value: function (r) { return r.errors ? "error" : "ok"; } },
      { label: "trace", value: function (r) { return idCell(r.trace_id, traceHref(r.trace_id)); } },
      { label: "root", value: function (r) { return r.root; } },
      { label: "start", value: function (r) { return r.start; } },
      { label: "duration", num: true, value: function (r) { return fmtMs(r.duration); } },
    ], data.traces, function (r) { return r.errors ? "row-error" : null; })));
  }

  app.textContent = "";
  var pages = { trace: renderTrace, run: renderRun, compare: renderCompare, index: renderIndex };
  (pages[data.page] || renderIndex)();
  document.body.setAttribute("data-ready", "1");
})();
