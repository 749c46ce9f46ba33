/**
 * OIDC bearer JWTs validated with jose against a key set generated in the test: a required `exp`, pinned
 * algorithms, users named by Entra's `oid` + `tid` (or other configured claims), and a multi-tenant issuer.
 */
import assert from "node:assert/strict";
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWTPayload,
} from "jose";
import { authSettings } from "../../src/entry/cli/server-commands/settings";
import { createCrmServer, type OidcSettings } from "../../src/server";
import { ManualClock } from "../support/manual-clock";
import { openTestDatabase, silentLogger } from "./support/test-database";
import { startTestServer, type TestServer } from "./support/test-server";

const ISSUER = "https://login.example.test/tenant";
const AUDIENCE = "api://outlook-crm-sync";
const TENANT_A = "11111111-1111-4111-8111-111111111111";
const TENANT_B = "22222222-2222-4222-8222-222222222222";
const TENANT_C = "33333333-3333-4333-8333-333333333333";
const ALICE_OID = "aaaaaaaa-0000-4000-8000-000000000001";
const ENTRA_PATTERN = "https://login.microsoftonline.com/{tenantid}/v2.0";
const entraIssuer = (tid: string) => `https://login.microsoftonline.com/${tid}/v2.0`;

/** Token claims; `exp: null` leaves `exp` out. */
type Claims = Omit<JWTPayload, "exp"> & { exp?: number | null };

interface Keys {
  readonly rsa: CryptoKey;
  readonly ec: CryptoKey;
  readonly stranger: CryptoKey;
  readonly jwks: JSONWebKeySet;
}

async function makeKeys(): Promise<Keys> {
  const rsa = await generateKeyPair("RS256");
  const ec = await generateKeyPair("ES256");
  const stranger = (await generateKeyPair("RS256")).privateKey;
  return {
    rsa: rsa.privateKey,
    ec: ec.privateKey,
    stranger,
    jwks: {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: "rsa", alg: "RS256" },
        { ...(await exportJWK(ec.publicKey)), kid: "ec", alg: "ES256" },
      ],
    },
  };
}

/** A token with `claims`; `exp` defaults to ten minutes from now, `null` leaves it out. */
function mint(
  keys: Keys,
  claims: Claims,
  options: { alg?: "RS256" | "ES256"; key?: CryptoKey } = {},
): Promise<string> {
  const alg = options.alg ?? "RS256";
  const { exp, ...rest } = claims;
  const jwt = new SignJWT(rest)
    .setProtectedHeader({ alg, kid: alg === "RS256" ? "rsa" : "ec" })
    .setIssuedAt();
  if (exp !== null) jwt.setExpirationTime(exp ?? Math.floor(Date.now() / 1000) + 600);
  return jwt.sign(options.key ?? (alg === "RS256" ? keys.rsa : keys.ec));
}

const status = async (t: TestServer, token: string) =>
  (await fetch(`${t.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })).status;

describe("CRM server OIDC authentication (Entra defaults: oid + tid, RS256, exp required)", function () {
  this.timeout(60_000);
  let t: TestServer;
  let keys: Keys;
  let opaqueToken: string;
  const entra = (claims: Claims = {}) => ({
    iss: ISSUER,
    aud: AUDIENCE,
    oid: ALICE_OID,
    tid: TENANT_A,
    sub: "per-app-pairwise-subject",
    ...claims,
  });

  before(async () => {
    keys = await makeKeys();
    t = await startTestServer({
      auth: {
        opaqueTokens: false,
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: createLocalJWKSet(keys.jwks) },
      },
    });
    opaqueToken = await t.user("alice");
    await t.server.service.users.setSignInIdentity("alice", `${ALICE_OID}.${TENANT_A}`);
    await t.user("per-app-pairwise-subject");
  });
  after(() => t.dispose());

  it("names the user by oid and tid, never by the per-app sub", async () => {
    const token = await mint(keys, entra());
    assert.equal(await status(t, token), 200);
    assert.equal((await t.client(token).whoAmI()).user.id, "alice");
    assert.equal(
      await status(t, await mint(keys, entra({ tid: TENANT_B }))),
      401,
      "the same oid in another tenant is someone else",
    );
    const subOnly = await mint(keys, { iss: ISSUER, aud: AUDIENCE, sub: "per-app-pairwise-subject" });
    assert.equal(await status(t, subOnly), 401, "a user named only by sub is not signed in");
    assert.equal(
      await status(t, await mint(keys, entra({ oid: `${ALICE_OID}.x`, tid: TENANT_A }))),
      401,
      "a value before the last may not hold the separator",
    );
  });

  it("requires exp and refuses an algorithm that is not pinned, even with a key from the set", async () => {
    assert.equal(await status(t, await mint(keys, entra({ exp: null }))), 401, "no exp");
    assert.equal(await status(t, await mint(keys, entra(), { alg: "ES256" })), 401, "ES256 is not allowed");
  });

  it("rejects wrong audience, wrong issuer, expiry, a foreign key, an unknown user and opaque tokens", async () => {
    assert.equal(await status(t, await mint(keys, entra({ aud: "api://other" }))), 401);
    assert.equal(await status(t, await mint(keys, entra({ iss: "https://evil.example.test" }))), 401);
    assert.equal(await status(t, await mint(keys, entra({ exp: Math.floor(Date.now() / 1000) - 60 }))), 401);
    assert.equal(await status(t, await mint(keys, entra(), { key: keys.stranger })), 401);
    assert.equal(
      await status(t, await mint(keys, entra({ oid: "bbbbbbbb-0000-4000-8000-0000000000ff" }))),
      401,
    );
    assert.equal(await status(t, opaqueToken), 401, "opaque tokens are off in this configuration");
  });
});

describe("CRM server OIDC: configured claims and algorithms, multi-tenant issuer", function () {
  this.timeout(60_000);
  let keys: Keys;
  before(async () => {
    keys = await makeKeys();
  });

  it("maps by sub and accepts ES256 when so configured", async () => {
    const t = await startTestServer({
      auth: {
        oidc: {
          issuer: ISSUER,
          audience: AUDIENCE,
          jwks: createLocalJWKSet(keys.jwks),
          userClaims: ["sub"],
          algorithms: ["ES256"],
        },
      },
    });
    try {
      await t.user("carol");
      const claims = { iss: ISSUER, aud: AUDIENCE, sub: "carol" };
      assert.equal(await status(t, await mint(keys, claims, { alg: "ES256" })), 200);
      assert.equal(await status(t, await mint(keys, claims)), 401, "RS256 is no longer allowed");
    } finally {
      await t.dispose();
    }
  });

  it("substitutes the token's tid into the issuer pattern and accepts only the allowed tenants", async () => {
    const t = await startTestServer({
      auth: {
        opaqueTokens: false,
        oidc: {
          issuer: ENTRA_PATTERN,
          audience: AUDIENCE,
          jwks: createLocalJWKSet(keys.jwks),
          allowedTenants: [TENANT_A, TENANT_B],
        },
      },
    });
    try {
      await t.user("alice");
      await t.user("bob");
      await t.server.service.users.setSignInIdentity("alice", `${ALICE_OID}.${TENANT_A}`);
      await t.server.service.users.setSignInIdentity("bob", `${ALICE_OID}.${TENANT_B}`);
      const token = (tid: string, iss = entraIssuer(tid)) =>
        mint(keys, { iss, aud: AUDIENCE, oid: ALICE_OID, tid });
      const a = await token(TENANT_A);
      assert.equal((await t.client(a).whoAmI()).user.id, "alice");
      assert.equal((await t.client(await token(TENANT_B)).whoAmI()).user.id, "bob");
      assert.equal(await status(t, await token(TENANT_C)), 401, "a tenant not allowed");
      assert.equal(
        await status(t, await token(TENANT_B, entraIssuer(TENANT_A))),
        401,
        "iss of another tenant",
      );
      assert.equal(await status(t, await token(TENANT_A, ENTRA_PATTERN)), 401, "the pattern itself");
      const noTid = await mint(keys, { iss: entraIssuer(TENANT_A), aud: AUDIENCE, oid: ALICE_OID });
      assert.equal(await status(t, noTid), 401, "no tid");
    } finally {
      await t.dispose();
    }
  });

  it("refuses a sign-in identity that another user holds", async () => {
    const t = await startTestServer();
    try {
      await t.user("alice");
      await t.user("bob");
      await t.server.service.users.setSignInIdentity("alice", "x.y");
      await assert.rejects(
        t.server.service.users.setSignInIdentity("bob", "x.y"),
        /already linked to "alice"/,
      );
    } finally {
      await t.dispose();
    }
  });
});

describe("CRM server authentication settings", function () {
  this.timeout(60_000);
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  before(async () => {
    database = await openTestDatabase();
  });
  after(() => database.dispose());
  const build = (auth: { opaqueTokens?: boolean; oidc?: OidcSettings }) =>
    createCrmServer({ db: database.db, clock: new ManualClock(), logger: silentLogger, auth });
  const jwks = createLocalJWKSet({ keys: [] });

  it("refuses to build a server on which no one could sign in", async () => {
    await assert.rejects(
      build({ opaqueTokens: false }),
      /Opaque tokens are off and no OIDC issuer is configured: no one could sign in/,
    );
  });

  it("refuses a multi-tenant issuer without allowed tenants, and algorithms a key set cannot verify", async () => {
    await assert.rejects(
      build({ oidc: { issuer: ENTRA_PATTERN, audience: AUDIENCE, jwks } }),
      /would accept any tenant/,
    );
    for (const alg of ["none", "HS256"]) {
      await assert.rejects(
        build({ oidc: { issuer: ISSUER, audience: AUDIENCE, jwks, algorithms: [alg] } }),
        new RegExp(`algorithms must be some of .* got "${alg}"`),
      );
    }
  });

  it("reads OIDC_ALGORITHMS, OIDC_USER_CLAIMS and OIDC_ALLOWED_TENANTS, naming a setting that cannot work", () => {
    const base = { OIDC_ISSUER: ENTRA_PATTERN, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: "https://keys.test/" };
    const settings = authSettings({
      ...base,
      OIDC_ALGORITHMS: "RS256, PS256",
      OIDC_USER_CLAIMS: "sub",
      OIDC_ALLOWED_TENANTS: `${TENANT_A},${TENANT_B},`,
    });
    assert.deepEqual(settings.oidc?.algorithms, ["RS256", "PS256"]);
    assert.deepEqual(settings.oidc?.userClaims, ["sub"]);
    assert.deepEqual(settings.oidc?.allowedTenants, [TENANT_A, TENANT_B]);
    assert.throws(() => authSettings(base), /^ConfigError: OIDC_ALLOWED_TENANTS: the issuer .* any tenant/);
    assert.throws(
      () => authSettings({ ...base, OIDC_ALLOWED_TENANTS: TENANT_A, OIDC_ALGORITHMS: "none" }),
      /^ConfigError: OIDC_ALGORITHMS: the algorithms must be some of/,
    );
    assert.throws(
      () => authSettings({ ...base, OIDC_ALLOWED_TENANTS: TENANT_A, OIDC_USER_CLAIM: "sub" }),
      /OIDC_USER_CLAIM is no longer read: set OIDC_USER_CLAIMS/,
    );
  });
});
