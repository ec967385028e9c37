// A real OpenID Connect provider for the single sign-on tests: node's `oidc-provider`
// (the certified implementation) with its development login and consent pages, where any
// login and password sign in as the account named by the login.
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json (written by tests/sso/provider.py): {"port", "issuer", "clients", "jwks",
// "accounts"}: the signing keys come from the tests, so a test can also sign a token
// with the provider's own key and change one claim (wrong issuer, audience, nonce).
// Prints "ready <issuer>" on stdout once it listens on 127.0.0.1.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts || {};

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: ['sso-tests-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  // PKCE on every authorization request, confidential clients included
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, id) {
    const extra = accounts[id] || {};
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          name: extra.name || id,
          email: extra.email || `${id}@idp.test`,
          email_verified: true,
        };
      },
    };
  },
});
provider.proxy = false;
// every refusal in the log, with its cause: what a failing test needs to say why
for (const event of ['authorization.error', 'grant.error', 'end_session.error', 'server_error']) {
  provider.on(event, (ctx, error) => {
    process.stdout.write(`${event}: ${error.message} ${error.error_description || ''} ${error.cause || ''}\n`);
  });
}

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${config.issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
