import fs from 'node:fs';
import path from 'node:path';
import { createCore } from '../../core/app/core.ts';
import { DEFAULT_PORT, defaultRendererDir, startServeHost } from '../../server/server.ts';
import { CliError, dataOption, defineCommand, parsePort } from '../command.ts';

/** `serve`: the app in a browser, over HTTP + server-sent events. */
export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'Serve the app over HTTP for a browser (local or a remote GPU box)',
  usage: '[--host H] [--port N] [--data DIR] [--allow-host NAME]... [--json]',
  description: [
    'Binds 127.0.0.1 unless --host is given. Binding any other address prints a random token once;',
    'every request must carry it (the printed URL does, then a cookie). Stops on Ctrl-C.',
  ].join('\n'),
  options: {
    host: { type: 'string', valueName: 'H', description: 'Address to bind (default 127.0.0.1; 0.0.0.0 for all).' },
    port: { type: 'string', short: 'p', valueName: 'N', description: `Port (default ${DEFAULT_PORT}; 0 for any free port).` },
    data: dataOption,
    'allow-host': {
      type: 'string',
      multiple: true,
      valueName: 'NAME',
      description: 'Also accept this Host header name (e.g. the DNS name of this machine).',
    },
    renderer: { type: 'string', valueName: 'DIR', description: 'Folder of the built renderer (default out/renderer).' },
  },
  json: true,
  async run({ values, json, io }) {
    const port = parsePort(values.port, DEFAULT_PORT);
    const rendererDir = path.resolve(values.renderer ?? defaultRendererDir);
    if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
      io.stderr(`warning: the renderer is not built (${rendererDir}); the API works but the page will not. Run: npm run build\n`);
    }
    const core = createCore({ host: 'serve', data: { flag: values.data } });
    core.boot();
    const server = await startServeHost({
      core,
      port,
      rendererDir,
      ...(values.host ? { host: values.host } : {}),
      ...(values['allow-host'] ? { allowedHosts: values['allow-host'] } : {}),
    }).catch((e: unknown) => {
      const code = e && typeof e === 'object' && 'code' in e ? e.code : undefined;
      if (code === 'EADDRINUSE') throw new CliError(`port ${port} is in use (try --port 0 for any free port)`);
      if (code === 'EADDRNOTAVAIL') throw new CliError(`cannot bind ${values.host ?? ''}: no such address here`);
      throw e;
    });

    if (json) {
      io.stdout(`${JSON.stringify({ url: server.url, openUrl: server.openUrl, token: server.token ?? null, dataDir: core.data.dir })}\n`);
    } else {
      io.stdout(`SAE Explorer is serving at ${server.openUrl}\n`);
      if (server.token) {
        io.stdout(`token: ${server.token}\n`);
        io.stdout('This token is printed once. Every request needs it (the URL above carries it).\n');
      }
      io.stdout(`data folder: ${core.data.dir}\nPress Ctrl-C to stop.\n`);
    }

    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    await core.close();
    if (!json) io.stdout('stopped\n');
  },
});
