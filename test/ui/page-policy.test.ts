/**
 * Issue 14: the pages' Content-Security-Policy table (src/entry/cli/page-policy.ts), and the production build's
 * add-in pages carrying the same policy in a meta tag ahead of their first script, for a static host.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  ADDIN_PAGES,
  addinPagePolicy,
  checkCrmOrigin,
  pagePolicy,
  SIMULATOR_PAGES,
} from "../../src/entry/cli/page-policy";
import { productionBuild } from "../manifest/production-build";

/** A policy as directive → sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((part) => {
      const [name = "", ...sources] = part.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

describe("page policy table", () => {
  it("lets no page run inline script, eval or plugins, and loads nothing by default", () => {
    for (const name of [...ADDIN_PAGES, ...SIMULATOR_PAGES, "support.html", "logo.png"]) {
      const policy = directives(pagePolicy(`/${name}`));
      assert.deepEqual(policy.get("default-src"), ["'none'"], name);
      assert.deepEqual(policy.get("object-src"), ["'none'"], name);
      assert.deepEqual(policy.get("style-src"), ["'self'"], name);
      for (const [directive, sources] of policy) {
        for (const banned of ["'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:", "http:", "https:"]) {
          assert.ok(!sources.includes(banned), `${name}: ${directive} allows ${banned}`);
        }
      }
    }
  });

  it("gives the add-in pages office.js's CDN, Entra and Graph, and no directive a meta tag ignores", () => {
    for (const name of ADDIN_PAGES) {
      const policy = directives(pagePolicy(`/${name}`));
      assert.deepEqual(policy.get("script-src"), ["'self'", "https://appsforoffice.microsoft.com"], name);
      assert.deepEqual(
        policy.get("connect-src"),
        [
          "'self'",
          "https://appsforoffice.microsoft.com",
          "https://login.microsoftonline.com",
          "https://graph.microsoft.com",
        ],
        name,
      );
      assert.equal(policy.has("frame-ancestors"), false, name);
    }
  });

  it("keeps the simulator pages to this origin, framed only by it; / is sim.html", () => {
    for (const name of SIMULATOR_PAGES) {
      const policy = directives(pagePolicy(`/${name}`));
      for (const directive of ["script-src", "connect-src", "frame-src", "frame-ancestors"]) {
        assert.deepEqual(policy.get(directive), ["'self'"], `${name} ${directive}`);
      }
    }
    assert.equal(pagePolicy("/"), pagePolicy("/sim.html"));
    assert.deepEqual(directives(pagePolicy("/manifest.xml")).get("frame-ancestors"), ["'none'"]);
  });

  it("adds sync servers on other origins to connect-src, and refuses what is not an https origin", () => {
    const policy = directives(addinPagePolicy(["https://crm.example.com:8443"]));
    assert.ok(policy.get("connect-src")?.includes("https://crm.example.com:8443"));
    assert.equal(checkCrmOrigin("https://crm.example.com/"), "https://crm.example.com");
    for (const bad of ["http://crm.example.com", "https://crm.example.com/api", "crm.example.com", "*"]) {
      assert.throws(() => checkCrmOrigin(bad), new RegExp(bad.replace(/[.*/]/g, "\\$&")), bad);
    }
  });
});

describe("page policy in the production build", function () {
  this.timeout(180_000);

  it("puts the add-in policy in a meta tag before any script of each add-in page, and none in the simulator's", async () => {
    const dist = await productionBuild();
    for (const name of ADDIN_PAGES) {
      const html = readFileSync(path.join(dist, name), "utf8");
      const meta = /<meta http-equiv="?Content-Security-Policy"? content="([^"]*)"/.exec(html);
      assert.ok(meta, `${name} has the policy meta tag`);
      assert.equal(meta[1], addinPagePolicy(), name);
      const firstScript = html.indexOf("<script");
      assert.ok(
        firstScript === -1 || meta.index < firstScript,
        `${name}: the policy comes before the scripts`,
      );
    }
    for (const name of SIMULATOR_PAGES) {
      const html = readFileSync(path.join(dist, name), "utf8");
      assert.doesNotMatch(html, /Content-Security-Policy/, `${name} gets its policy from npm start's header`);
    }
  });
});
