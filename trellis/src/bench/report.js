// Draws the charts of a `trellis bench --html` report from the run's JSON
// (the `run-data` element), as SVG, with nothing fetched. When all are
// drawn it marks <html data-rendered="ok"> and writes what it drew into
// the <output> element "drawn"; a failure marks it "error: ...", for the
// tests.
"use strict";
(function () {
  var root = document.documentElement;
  var failed = false;
  function fail(message) {
    failed = true;
    root.setAttribute("data-rendered", "error: " + message);
  }
  window.addEventListener("error", function (event) {
    fail(event.message || "a script error");
  });

  var SVG = "http://www.w3.org/2000/svg";
  var WIDTH = 720, HEIGHT = 260;
  var PAD = { left: 64, right: 140, top: 12, bottom: 34 };

  function svgElement(tag, attributes, text) {
    var element = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (key) {
      element.setAttribute(key, String(attributes[key]));
    });
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // Round steps (1, 2, 5 times a power of ten) covering [low, high].
  function ticks(low, high, count) {
    if (!(high > low)) high = low + 1;
    var raw = (high - low) / count;
    var power = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var step = [1, 2, 5, 10].map(function (m) { return m * power; })
      .filter(function (s) { return s >= raw; })[0];
    var first = Math.floor(low / step) * step;
    var out = [];
    for (var v = first; v <= high + step / 2; v += step) out.push(Number(v.toPrecision(12)));
    return out;
  }

  function label(value) {
    if (value === 0) return "0";
    if (Math.abs(value) >= 10000) return (value / 1000).toFixed(0) + "k";
    if (Math.abs(value) >= 100) return value.toFixed(0);
    if (Math.abs(value) >= 1) return String(Number(value.toPrecision(3)));
    return String(Number(value.toPrecision(2)));
  }

  function frame(figure) {
    var svg = svgElement("svg", {
      viewBox: "0 0 " + WIDTH + " " + HEIGHT,
      role: "img",
      "aria-label": figure.querySelector("figcaption").textContent,
    });
    figure.appendChild(svg);
    return svg;
  }

  // Lines over x; `lines` is [{ name, color, values }], values aligned with xs.
  function lineChart(figure, xs, lines, extras) {
    var svg = frame(figure);
    var all = [];
    lines.forEach(function (line) {
      line.values.forEach(function (v) { if (v !== null && isFinite(v)) all.push(v); });
    });
    var xLow = xs.length ? Math.min.apply(null, xs) : 0;
    var xHigh = xs.length ? Math.max.apply(null, xs) : 1;
    if (!(xHigh > xLow)) xHigh = xLow + 1;
    var yHigh = all.length ? Math.max.apply(null, all) : 1;
    var yTicks = ticks(0, yHigh > 0 ? yHigh : 1, 5);
    yHigh = yTicks[yTicks.length - 1];
    var x = function (v) { return PAD.left + (v - xLow) / (xHigh - xLow) * (WIDTH - PAD.left - PAD.right); };
    var y = function (v) { return HEIGHT - PAD.bottom - v / yHigh * (HEIGHT - PAD.top - PAD.bottom); };
    yTicks.forEach(function (t) {
      svg.appendChild(svgElement("line", { "class": "grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(t), y2: y(t) }));
      svg.appendChild(svgElement("text", { "class": "tick", x: PAD.left - 6, y: y(t) + 4, "text-anchor": "end" }, label(t)));
    });
    ticks(xLow, xHigh, 8).filter(function (t) { return t >= xLow && t <= xHigh; }).forEach(function (t) {
      svg.appendChild(svgElement("text", { "class": "tick", x: x(t), y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle" }, label(t) + " s"));
    });
    svg.appendChild(svgElement("line", { "class": "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0) }));
    svg.appendChild(svgElement("line", { "class": "axis", x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: y(0) }));
    (extras || []).forEach(function (extra) {
      if (extra.at < xLow || extra.at > xHigh) return;
      svg.appendChild(svgElement("line", { "class": "phase", x1: x(extra.at), x2: x(extra.at), y1: PAD.top, y2: y(0) }));
      svg.appendChild(svgElement("text", { "class": "tick", x: x(extra.at) + 3, y: PAD.top + 10 }, extra.name));
    });
    var drawn = 0;
    lines.forEach(function (line, index) {
      var points = [];
      line.values.forEach(function (v, i) {
        if (v !== null && isFinite(v)) points.push(x(xs[i]).toFixed(1) + "," + y(v).toFixed(1));
      });
      if (points.length === 1) points.push(points[0]);
      if (points.length) {
        var path = svgElement("polyline", { "class": "line", stroke: line.color, points: points.join(" ") });
        path.appendChild(svgElement("title", {}, line.name));
        svg.appendChild(path);
        drawn += line.values.length;
      }
      var ly = PAD.top + 14 + index * 16;
      svg.appendChild(svgElement("rect", { x: WIDTH - PAD.right + 12, y: ly - 9, width: 10, height: 10, fill: line.color }));
      svg.appendChild(svgElement("text", { "class": "legend", x: WIDTH - PAD.right + 28, y: ly }, line.name));
    });
    if (!lines.length) {
      svg.appendChild(svgElement("text", { "class": "empty", x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle" }, "nothing to draw"));
    }
    figure.setAttribute("data-points", String(xs.length));
    figure.setAttribute("data-drawn", String(drawn));
    figure.setAttribute("data-rendered", "ok");
  }

  // Bars over buckets of latency; each bucket's upper bound labels it.
  function barChart(figure, buckets) {
    var svg = frame(figure);
    var counts = buckets.map(function (b) { return b.count; });
    var high = counts.length ? Math.max.apply(null, counts) : 1;
    var yTicks = ticks(0, high > 0 ? high : 1, 5);
    high = yTicks[yTicks.length - 1];
    var plotWidth = WIDTH - PAD.left - PAD.right;
    var width = plotWidth / Math.max(buckets.length, 1);
    var y = function (v) { return HEIGHT - PAD.bottom - v / high * (HEIGHT - PAD.top - PAD.bottom); };
    yTicks.forEach(function (t) {
      svg.appendChild(svgElement("line", { "class": "grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(t), y2: y(t) }));
      svg.appendChild(svgElement("text", { "class": "tick", x: PAD.left - 6, y: y(t) + 4, "text-anchor": "end" }, label(t)));
    });
    var every = Math.max(1, Math.ceil(buckets.length / 8));
    buckets.forEach(function (bucket, i) {
      var left = PAD.left + i * width;
      var bar = svgElement("rect", {
        x: (left + 1).toFixed(1), y: y(bucket.count).toFixed(1),
        width: Math.max(width - 2, 1).toFixed(1), height: (y(0) - y(bucket.count)).toFixed(1),
        fill: "#3f6fb5",
      });
      bar.appendChild(svgElement("title", {}, "up to " + label(bucket.upto_ms) + " ms: " + bucket.count));
      svg.appendChild(bar);
      if (i % every === 0) {
        svg.appendChild(svgElement("text", { "class": "tick", x: left + width / 2, y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle" }, label(bucket.upto_ms)));
      }
    });
    svg.appendChild(svgElement("line", { "class": "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0) }));
    figure.setAttribute("data-points", String(buckets.length));
    figure.setAttribute("data-drawn", String(buckets.length));
    figure.setAttribute("data-rendered", "ok");
  }

  var STATUS_COLORS = { "2": "#2e7d32", "3": "#1565c0", "4": "#ef6c00", "5": "#c62828" };
  var CACHE_COLORS = { hit: "#2e7d32", stale: "#f9a825", miss: "#c62828", bypass: "#6d4c41", none: "#9e9e9e" };
  var PERCENTILE_COLORS = { p50: "#1565c0", p90: "#2e7d32", p99: "#ef6c00", p999: "#c62828", max: "#616161" };

  function perSecond(point, count) {
    return point.secs > 0 ? count / point.secs : 0;
  }

  function draw(run) {
    var points = run.series.points;
    var xs = points.map(function (p) { return p.at_secs + p.secs; });
    var phases = (run.settings.phases || []).map(function (phase) {
      return { at: phase.start_secs, name: phase.name };
    });

    lineChart(document.getElementById("throughput"), xs, [
      { name: "responses/s", color: "#1565c0", values: points.map(function (p) { return p.requests_per_sec; }) },
      { name: "errors/s", color: "#c62828", values: points.map(function (p) { return perSecond(p, p.errors); }) },
    ], phases);

    lineChart(document.getElementById("latency"), xs, ["p50", "p90", "p99", "p999", "max"].map(function (key) {
      return {
        name: key === "p999" ? "p99.9" : key,
        color: PERCENTILE_COLORS[key],
        values: points.map(function (p) { return p.requests > 0 ? p.latency_ms[key] : null; }),
      };
    }), phases);

    barChart(document.getElementById("distribution"), run.latency_distribution.buckets);

    var statuses = {};
    points.forEach(function (p) { Object.keys(p.status).forEach(function (code) { statuses[code] = true; }); });
    lineChart(document.getElementById("statuses"), xs, Object.keys(statuses).sort().map(function (code) {
      return {
        name: code,
        color: STATUS_COLORS[code.charAt(0)] || "#000000",
        values: points.map(function (p) { return perSecond(p, p.status[code] || 0); }),
      };
    }).concat([{ name: "no response", color: "#000000", values: points.map(function (p) { return perSecond(p, p.errors); }) }]), phases);

    lineChart(document.getElementById("cache"), xs, Object.keys(CACHE_COLORS).filter(function (kind) {
      return points.some(function (p) { return (p.cache_status[kind] || 0) > 0; });
    }).map(function (kind) {
      return { name: kind, color: CACHE_COLORS[kind], values: points.map(function (p) { return perSecond(p, p.cache_status[kind] || 0); }) };
    }), phases);
  }

  function drawnFigures(run) {
    var drawn = document.getElementById("drawn");
    var charts = document.querySelectorAll("figure.chart[data-rendered=ok]").length;
    drawn.setAttribute("data-requests", String(run.requests));
    drawn.setAttribute("data-requests-per-sec", run.requests_per_sec.toFixed(1));
    drawn.setAttribute("data-p50-ms", run.latency_ms.p50.toFixed(3));
    drawn.setAttribute("data-p99-ms", run.latency_ms.p99.toFixed(3));
    drawn.setAttribute("data-points", String(run.series.points.length));
    drawn.setAttribute("data-charts", String(charts));
    drawn.textContent = "Drawn from " + run.requests + " responses in " + run.series.points.length +
      " intervals of " + run.series.interval_secs + " s: p50 " + run.latency_ms.p50.toFixed(3) +
      " ms, p99 " + run.latency_ms.p99.toFixed(3) + " ms, " + run.requests_per_sec.toFixed(1) + " responses/s.";
  }

  try {
    var run = JSON.parse(document.getElementById("run-data").textContent);
    var when = document.querySelector("header .when");
    if (when) when.textContent = "started " + new Date(Number(when.getAttribute("data-unix-ms"))).toISOString();
    draw(run);
    drawnFigures(run);
    if (!failed) root.setAttribute("data-rendered", "ok");
  } catch (error) {
    fail(error && error.message ? error.message : String(error));
  }
})();
