/** OIDC bearer JWTs validated with jose against a key set generated in the test. */
import assert from "node:assert/strict";
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { createCrmServer } from "../../src/server";
import { ManualClock } from "../support/manual-clock";
import { openTestDatabase, silentLogger } from "./support/test-database";
import { startTestServer, type TestServer } from "./support/test-server";

const ISSUER = "https://login.example.test/tenant";
const AUDIENCE = "api://outlook-crm-sync";

describe("CRM server OIDC authentication", () => {
  let t: TestServer;
  let signingKey: CryptoKey;
  let strangerKey: CryptoKey;
  let opaqueToken: string;

  before(async () => {
    const pair = await generateKeyPair("RS256");
    signingKey = pair.privateKey;
    strangerKey = (await generateKeyPair("RS256")).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256" };
    t = await startTestServer({
      auth: {
        opaqueTokens: false,
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: createLocalJWKSet({ keys: [jwk] }) },
      },
    });
    opaqueToken = await t.user("alice");
  });
  after(() => t.dispose());

  const sign = (claims: { sub?: string; iss?: string; aud?: string; exp?: number }, key = signingKey) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setSubject(claims.sub ?? "alice")
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(key);

  const status = async (token: string) =>
    (await fetch(`${t.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })).status;

  it("accepts a valid token for an existing user", async () => {
    const token = await sign({});
    assert.equal(await status(token), 200);
    assert.equal((await t.client(token).whoAmI()).user.id, "alice");
  });

  it("rejects wrong audience, wrong issuer, expiry, a foreign key, an unknown user and opaque tokens", async () => {
    assert.equal(await status(await sign({ aud: "api://other" })), 401);
    assert.equal(await status(await sign({ iss: "https://evil.example.test" })), 401);
    assert.equal(await status(await sign({ exp: Math.floor(Date.now() / 1000) - 60 })), 401);
    assert.equal(await status(await sign({}, strangerKey)), 401);
    assert.equal(await status(await sign({ sub: "nobody" })), 401);
    assert.equal(await status(opaqueToken), 401, "opaque tokens are off in this configuration");
  });
});

describe("CRM server authentication settings", () => {
  it("refuses to build a server on which no one could sign in", async () => {
    const database = await openTestDatabase();
    try {
      await assert.rejects(
        createCrmServer({
          db: database.db,
          clock: new ManualClock(),
          logger: silentLogger,
          auth: { opaqueTokens: false },
        }),
        /Opaque tokens are off and no OIDC issuer is configured: no one could sign in/,
      );
    } finally {
      await database.dispose();
    }
  });
});
