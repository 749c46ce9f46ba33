/** The Prometheus text format writer: HELP and TYPE per family, labels in braces, label values escaped. */
import assert from "node:assert/strict";
import { metricsText } from "../../src/server/worker/metrics-text";

describe("Prometheus text format", () => {
  it("writes each family's HELP, TYPE and samples, escaping label values", () => {
    const text = metricsText([
      {
        name: "jobs",
        help: "Jobs by state.",
        type: "gauge",
        samples: [{ labels: { state: "dead" }, value: 2 }],
      },
      {
        name: "took_seconds",
        help: "Durations.",
        type: "histogram",
        samples: [
          { suffix: "_bucket", labels: { le: "+Inf" }, value: 3 },
          { suffix: "_sum", value: 1.5 },
        ],
      },
      {
        name: "odd",
        help: "Escapes.",
        type: "counter",
        samples: [{ labels: { a: 'x"y\\z\nw', b: "c" }, value: 1 }],
      },
    ]);
    assert.equal(
      text,
      [
        "# HELP jobs Jobs by state.",
        "# TYPE jobs gauge",
        'jobs{state="dead"} 2',
        "# HELP took_seconds Durations.",
        "# TYPE took_seconds histogram",
        'took_seconds_bucket{le="+Inf"} 3',
        "took_seconds_sum 1.5",
        "# HELP odd Escapes.",
        "# TYPE odd counter",
        'odd{a="x\\"y\\\\z\\nw",b="c"} 1',
        "",
      ].join("\n"),
    );
  });
});
