// oidc-provider, minimal configuration: one client, its development keys, in-memory adapter.
// Started by bench/run.sh on 127.0.0.1:$PORT; its JWKS is at /jwks.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 3000);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'wiki',
    client_secret: 'bench-secret',
    redirect_uris: ['http://127.0.0.1:9/wiki/callback'],
  }],
});
provider.listen(port, '127.0.0.1');
