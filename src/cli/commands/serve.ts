import fs from 'node:fs';
import path from 'node:path';
import { createCore, type Core } from '../../core/host/core.ts';
import { AppError } from '#shared/reply.ts';
import { runningServeHost, removeServeRecord, serveRecordFile, writeServeRecord } from '../../server/serve-record.ts';
import { DEFAULT_PORT, defaultRendererDir, startServeHost } from '../../server/server.ts';
import { CliError, dataOption, defineCommand, parsePort } from '../command.ts';

/** `serve`: the app in a browser, over HTTP + server-sent events. */
export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'Serve the app over HTTP for a browser (local or a remote GPU box)',
  usage: '[--host H] [--port N] [--data DIR] [--allow-dir DIR]... [--allow-host NAME]... [--json]',
  description: [
    'Binds 127.0.0.1 unless --host is given. Every request must carry a fresh random token, on',
    'loopback too: the printed URL carries it (the page then keeps it in a cookie), and the data',
    'folder keeps it in serve.json (mode 0600) for your own scripts. Requests reach only the data',
    'folder, the HF cache, the embedded demo and the folders given with --allow-dir. Stops on Ctrl-C.',
  ].join('\n'),
  options: {
    host: { type: 'string', valueName: 'H', description: 'Address to bind (default 127.0.0.1; 0.0.0.0 for all).' },
    port: { type: 'string', short: 'p', valueName: 'N', description: `Port (default ${DEFAULT_PORT}; 0 for any free port).` },
    data: dataOption,
    'allow-dir': {
      type: 'string',
      multiple: true,
      valueName: 'DIR',
      description: 'Let requests read this folder (models, SAEs, corpora) and list it in Models. Repeatable.',
    },
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
    const core = openCore(values.data, values['allow-dir'] ?? []);
    if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
      io.stderr(`warning: the renderer is not built (${rendererDir}); the API works but the page will not. Run: npm run build\n`);
    }
    const dataDir = core.data.dir;
    const server = await startServeHost({
      core,
      port,
      rendererDir,
      ...(values.host ? { host: values.host } : {}),
      ...(values['allow-host'] ? { allowedHosts: values['allow-host'] } : {}),
    }).catch(async (e: unknown) => {
      const code = e && typeof e === 'object' && 'code' in e ? e.code : undefined;
      if (code === 'EADDRINUSE') {
        // this data folder's own host already runs there: show it instead of failing
        const running = await runningServeHost(dataDir, port);
        if (running) return { running };
      }
      await core.close();
      if (code === 'EADDRINUSE') throw new CliError(`port ${port} is in use (try --port 0 for any free port)`);
      if (code === 'EADDRNOTAVAIL') throw new CliError(`cannot bind ${values.host ?? ''}: no such address here`);
      throw e;
    });

    if ('running' in server) {
      await core.close();
      const { url, openUrl, token } = server.running;
      if (json) io.stdout(`${JSON.stringify({ url, openUrl, token, dataDir, alreadyRunning: true })}\n`);
      else io.stdout(`SAE Explorer is already serving this data folder at ${openUrl}\n`);
      return;
    }
    core.boot();
    writeServeRecord(dataDir, { url: server.url, openUrl: server.openUrl, token: server.token, pid: process.pid, startedAt: Date.now() });

    if (json) {
      io.stdout(`${JSON.stringify({ url: server.url, openUrl: server.openUrl, token: server.token, dataDir })}\n`);
    } else {
      io.stdout(`SAE Explorer is serving at ${server.openUrl}\n`);
      io.stdout(`Open that URL: every request needs its token (also kept in ${serveRecordFile(dataDir)}).\n`);
      io.stdout(`data folder: ${dataDir}\n`);
      const granted = core.files.roots().filter((r) => r.kind === 'granted');
      if (granted.length) io.stdout(`granted folders: ${granted.map((r) => r.path).join(', ')}\n`);
      io.stdout('Press Ctrl-C to stop.\n');
    }

    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    removeServeRecord(dataDir, server.token);
    await core.close();
    if (!json) io.stdout('stopped\n');
  },
});

/** The serve host's core: paths limited to the allowed roots plus the granted folders. */
function openCore(data: string | undefined, allowDirs: readonly string[]): Core {
  const missing = allowDirs.find((d) => !fs.existsSync(d));
  if (missing !== undefined) throw new CliError(`--allow-dir ${missing}: no such folder`);
  try {
    return createCore({ host: 'serve', data: { flag: data }, files: { grants: allowDirs } });
  } catch (e) {
    if (e instanceof AppError) throw new CliError(e.message);
    throw e;
  }
}
