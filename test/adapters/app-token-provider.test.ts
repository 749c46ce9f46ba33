// MsalAppTokenProvider's configuration path, offline: msal-node runs for real, with its HTTP client replaced by
// a local fake of the Entra ID token endpoint (identity-platform/v2-oauth2-client-creds-grant-flow answers).
import assert from "node:assert/strict";
import type { INetworkModule, NetworkResponse } from "@azure/msal-node";
import { GRAPH_APP_SCOPE, MsalAppTokenProvider } from "../../src/adapters/graph/app-token-provider";
import { SyncError } from "../../src/core/errors";

const TENANT = "contoso.onmicrosoft.com";
const CLIENT_ID = "11111111-2222-3333-4444-555555555555";

/** A token endpoint that answers each POST with the next answer, and records what was posted. */
function fakeEntra(answers: { status: number; body: Record<string, unknown> }[]) {
  const posts: { url: URL; form: URLSearchParams }[] = [];
  const networkClient: INetworkModule = {
    sendGetRequestAsync<T>(url: string): Promise<NetworkResponse<T>> {
      return Promise.reject(new Error(`unexpected GET ${url}`));
    },
    sendPostRequestAsync<T>(url: string, options?: { body?: string }): Promise<NetworkResponse<T>> {
      posts.push({ url: new URL(url), form: new URLSearchParams(options?.body ?? "") });
      const answer = answers.shift() ?? { status: 500, body: { error: "server_error" } };
      return Promise.resolve({ status: answer.status, headers: {}, body: answer.body as T });
    },
  };
  return { networkClient, posts };
}

const token = (accessToken: string) => ({
  status: 200,
  body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: accessToken },
});

describe("MsalAppTokenProvider (client credentials through msal-node)", () => {
  it("asks the tenant's token endpoint for Graph's .default scope with the client credentials grant, once", async () => {
    const entra = fakeEntra([token("app-token-1")]);
    const provider = new MsalAppTokenProvider({
      tenantId: TENANT,
      clientId: CLIENT_ID,
      credential: { clientSecret: "s3cret" },
      networkClient: entra.networkClient,
    });
    assert.equal(await provider.getToken(), "app-token-1");
    assert.equal(await provider.getToken(), "app-token-1");
    assert.equal(entra.posts.length, 1, "the second call is answered from msal-node's cache");
    const [post] = entra.posts;
    assert.ok(post);
    assert.equal(
      `${post.url.origin}${post.url.pathname}`,
      `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
    );
    assert.equal(post.form.get("grant_type"), "client_credentials");
    assert.equal(post.form.get("scope"), GRAPH_APP_SCOPE);
    assert.equal(post.form.get("client_id"), CLIENT_ID);
    assert.equal(post.form.get("client_secret"), "s3cret");
  });

  it("turns Entra ID's refusal into a mailbox error that names it", async () => {
    const entra = fakeEntra([
      {
        status: 401,
        body: {
          error: "invalid_client",
          error_description: "AADSTS7000215: Invalid client secret provided.",
        },
      },
    ]);
    const provider = new MsalAppTokenProvider({
      tenantId: TENANT,
      clientId: CLIENT_ID,
      credential: { clientSecret: "wrong" },
      networkClient: entra.networkClient,
    });
    await assert.rejects(provider.getToken(), (error: unknown) => {
      assert.ok(error instanceof SyncError);
      assert.equal(error.code, "mailboxUnreachable");
      assert.match(error.message, /AADSTS7000215|invalid_client/);
      return true;
    });
  });

  it("refuses options it cannot use, naming each", () => {
    assert.throws(
      () =>
        new MsalAppTokenProvider({
          tenantId: "contoso tenant",
          clientId: "app",
          credential: { clientSecret: "" },
        }),
      (error: unknown) =>
        error instanceof SyncError &&
        error.code === "invalidInput" &&
        /tenantId/.test(error.message) &&
        /clientId/.test(error.message) &&
        /clientSecret/.test(error.message),
    );
  });
});
