/**
 * A local HTTP server that speaks the HuggingFace Hub's protocol, for tests (unit, CLI and
 * e2e) on a machine without network. It behaves as the real hub does where a client can
 * tell:
 *
 * - `GET /api/models/{repo}/revision/{rev}`: model info with `sha` and `siblings`;
 * - `GET /api/models/{repo}/tree/{rev}/{path}?recursive=`: entries with `oid`, `size`,
 *   `lfs: {oid, size}`, paginated with `Link: <…>; rel="next"`;
 * - `HEAD|GET /{repo}/resolve/{rev}/{path}`: small files answer 200 with `ETag` = git blob
 *   sha1; LFS files answer 302 to a CDN on another host (`localhost`, a second port), with
 *   `X-Linked-Etag` = sha256 and `X-Linked-Size`; every answer has `X-Repo-Commit`;
 *   `Range` gives 206; renamed repos answer a relative 307;
 * - errors with `X-Error-Code` (RepoNotFound, GatedRepo, EntryNotFound, RevisionNotFound)
 *   and 401 "Invalid credentials in Authorization header" for an unknown token.
 *
 * Faults on demand: drop the connection after N bytes, corrupt a file's bytes, serve slowly,
 * or lie as a hostile endpoint would (etags, listed paths and commits that are no hashes).
 * Every request is logged for assertions.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

/** A fake repo. */
export interface FakeRepo {
  /** Path inside the repo → contents (a Buffer, or a local file to read). */
  readonly files: Readonly<Record<string, Buffer | string>>;
  /** `private`: RepoNotFound without a token that has access; `gated`: GatedRepo on downloads. */
  readonly access?: 'public' | 'private' | 'gated';
  /** Tokens that may read a private or gated repo. */
  readonly tokens?: readonly string[];
  /** Branches and tags besides `main` (all point at the one commit). */
  readonly revisions?: readonly string[];
}

/** One request as the server saw it. */
export interface LoggedRequest {
  readonly method: string;
  /** Path and query, decoded. */
  readonly url: string;
  readonly range: string | null;
  /** Whether an Authorization header came with it. */
  readonly auth: boolean;
  /** `hub` or `cdn`. */
  readonly server: 'hub' | 'cdn';
}

interface Stored {
  readonly path: string;
  readonly data: Buffer;
  readonly lfs: boolean;
  /** git blob sha1 of the content (of the pointer for LFS files, as git stores them). */
  readonly oid: string;
  readonly sha256: string;
}

interface RepoState {
  readonly spec: FakeRepo;
  readonly files: Map<string, Stored>;
  readonly commit: string;
}

/** Options of the server. */
export interface TestHubOptions {
  readonly repos: Readonly<Record<string, FakeRepo>>;
  /** Every token the hub knows (others get 401 invalid credentials). Tokens in repos' `tokens` are added. */
  readonly tokens?: readonly string[];
  /** Tree entries per page (default 50). */
  readonly pageSize?: number;
  /** Old repo id → new one: answered with a relative 307, as the hub does for renamed repos. */
  readonly renamed?: Readonly<Record<string, string>>;
}

const LFS_EXT = /\.(safetensors|npz|onnx|onnx_data|bin|pt|pth|ckpt|h5|msgpack|parquet|data)$/;

const sha1Blob = (data: Buffer): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

function store(p: string, source: Buffer | string): Stored {
  const data = typeof source === 'string' ? fs.readFileSync(source) : source;
  const sha256 = createHash('sha256').update(data).digest('hex');
  const lfs = LFS_EXT.test(p) || data.length > 10 * 1024 * 1024;
  const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${data.length}\n`);
  return { path: p, data, lfs, oid: sha1Blob(lfs ? pointer : data), sha256 };
}

/** Every file of a local folder as repo files (paths with `/`), under `prefix`. */
export function folderFiles(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out[prefix ? `${prefix}/${r}` : r] = path.join(d, e.name);
    }
  };
  walk(dir, '');
  return out;
}

/** What a hostile endpoint sends for one repo (`TestHub.tamper`). */
export interface Tamper {
  /** The `sha` of the model info (the commit a revision resolves to). */
  readonly sha?: string;
  /** `X-Repo-Commit` of resolve answers. */
  readonly repoCommit?: string;
  /** Repo file → the etag sent for it (in `X-Linked-Etag` for LFS files, `ETag` otherwise), as is. */
  readonly etags?: Readonly<Record<string, string>>;
  /** File paths added to every tree listing of the repo, as is. */
  readonly treePaths?: readonly string[];
}

/** Faults for one file. */
interface Fault {
  dropAfter?: { bytes: number; times: number };
  corrupt?: boolean;
}

/** The fake hub. Start with `TestHub.start`, stop with `close`. */
export class TestHub {
  /** The endpoint to put in HF_ENDPOINT. */
  url = '';
  /** The CDN's origin (LFS downloads are redirected there): `localhost`, a host name other than the hub's. */
  cdnUrl = '';
  /** Every request, in order. */
  readonly requests: LoggedRequest[] = [];
  /** Delay between chunks of file bodies (ms), to watch progress or cancel mid-file. */
  slowMs = 0;
  /** Bytes per chunk of file bodies. */
  chunkBytes = 64 * 1024;
  readonly #repos = new Map<string, RepoState>();
  readonly #tokens = new Set<string>();
  readonly #faults = new Map<string, Fault>();
  readonly #tampers = new Map<string, Tamper>();
  readonly #pageSize: number;
  readonly #renamed: Readonly<Record<string, string>>;
  readonly #hub: http.Server;
  readonly #cdn: http.Server;
  readonly #sockets = new Set<Socket>();

  private constructor(options: TestHubOptions) {
    this.#pageSize = options.pageSize ?? 50;
    this.#renamed = options.renamed ?? {};
    for (const t of options.tokens ?? []) this.#tokens.add(t);
    for (const [id, spec] of Object.entries(options.repos)) this.setRepo(id, spec);
    this.#hub = http.createServer((req, res) => this.#serve('hub', req, res));
    this.#cdn = http.createServer((req, res) => this.#serve('cdn', req, res));
    for (const s of [this.#hub, this.#cdn]) {
      s.on('connection', (sock) => {
        this.#sockets.add(sock);
        sock.on('close', () => this.#sockets.delete(sock));
      });
    }
  }

  /** Starts the hub and its CDN on free loopback ports. */
  static async start(options: TestHubOptions): Promise<TestHub> {
    const hub = new TestHub(options);
    const listen = (s: http.Server): Promise<number> =>
      new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
    const [a, b] = await Promise.all([listen(hub.#hub), listen(hub.#cdn)]);
    hub.url = `http://127.0.0.1:${a}`;
    // the CDN is another host, as cdn-lfs.hf.co is: huggingface_hub follows redirects that stay on the
    // endpoint's host name (any port) and stops at one that leaves it, reading the file's metadata there
    hub.cdnUrl = `http://localhost:${b}`;
    return hub;
  }

  /** Adds or replaces a repo; changed contents make a new commit. */
  setRepo(id: string, spec: FakeRepo): void {
    const files = new Map(Object.entries(spec.files).map(([p, s]) => [p, store(p, s)]));
    const commit = createHash('sha1')
      .update(id)
      .update(JSON.stringify([...files.values()].map((f) => [f.path, f.sha256]).sort()))
      .digest('hex');
    for (const t of spec.tokens ?? []) this.#tokens.add(t);
    this.#repos.set(id, { spec, files, commit });
  }

  /** The commit `main` of a repo points at. */
  commit(id: string): string {
    const r = this.#repos.get(id);
    if (!r) throw new Error(`no fake repo ${id}`);
    return r.commit;
  }

  /** The sha256 and git sha1 of a repo file, and whether it is stored with LFS. */
  fileInfo(id: string, file: string): { sha256: string; oid: string; lfs: boolean; size: number } {
    const f = this.#repos.get(id)?.files.get(file);
    if (!f) throw new Error(`no file ${file} in fake repo ${id}`);
    return { sha256: f.sha256, oid: f.oid, lfs: f.lfs, size: f.data.length };
  }

  /** The next `times` downloads of the file stop after `bytes` bytes (the socket is destroyed). */
  dropAfter(id: string, file: string, bytes: number, times = 1): void {
    this.#fault(id, file).dropAfter = { bytes, times };
  }

  /** Serves the file with one byte flipped (its etag stays the true hash). */
  corrupt(id: string, file: string, on = true): void {
    this.#fault(id, file).corrupt = on;
  }

  /** Makes the hub lie about a repo as a hostile endpoint might (etags, paths, commits); `null` stops it. */
  tamper(id: string, t: Tamper | null): void {
    if (t) this.#tampers.set(id, t);
    else this.#tampers.delete(id);
  }

  /** Requests of one kind, e.g. `hub.count('GET', '/cdn')`. */
  count(method: string, urlPart: string): number {
    return this.requests.filter((r) => r.method === method && r.url.includes(urlPart)).length;
  }

  /** Stops both servers, dropping open connections. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await Promise.all([this.#hub, this.#cdn].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  #fault(id: string, file: string): Fault {
    const f = this.#repos.get(id)?.files.get(file);
    if (!f) throw new Error(`no file ${file} in fake repo ${id}`);
    const key = f.sha256;
    const existing = this.#faults.get(key);
    if (existing) return existing;
    const created: Fault = {};
    this.#faults.set(key, created);
    return created;
  }

  #serve(server: 'hub' | 'cdn', req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers['authorization'];
    this.requests.push({
      method: req.method ?? 'GET',
      url: decodeURIComponent(url.pathname) + url.search,
      range: req.headers['range'] ?? null,
      auth: auth !== undefined,
      server,
    });
    try {
      if (server === 'cdn') return this.#serveCdn(req, res, url);
      const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : null;
      if (auth !== undefined && (token === null || !this.#tokens.has(token))) {
        return this.#error(res, 401, '', 'Invalid credentials in Authorization header');
      }
      const segs = url.pathname.split('/').filter(Boolean);
      if (segs[0] === 'api' && segs[1] === 'models') return this.#serveApi(res, segs.slice(2), url, token);
      return this.#serveResolve(req, res, segs, url, token);
    } catch (e) {
      this.#error(res, 500, '', String(e));
    }
  }

  #error(res: http.ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-error-message': message, ...extra };
    if (code) headers['x-error-code'] = code;
    res.writeHead(status, headers);
    res.end(JSON.stringify({ error: message }));
  }

  /** Splits `org/name/<rest>` at the repo id it names; renamed repos first. */
  #findRepo(segs: readonly string[]): { id: string; rest: string[]; renamedTo?: string } | null {
    for (const n of [2, 1]) {
      const id = segs.slice(0, n).map(decodeURIComponent).join('/');
      const to = this.#renamed[id];
      if (to) return { id, rest: segs.slice(n), renamedTo: to };
      if (this.#repos.has(id)) return { id, rest: segs.slice(n) };
    }
    return null;
  }

  /** RepoNotFound / GatedRepo as the hub answers them; null when the request may go on. */
  #access(res: http.ServerResponse, id: string, token: string | null, download: boolean): boolean {
    const repo = this.#repos.get(id);
    if (!repo) {
      this.#error(res, token ? 404 : 401, 'RepoNotFound', 'Repository not found');
      return false;
    }
    const allowed = token !== null && (repo.spec.tokens ?? []).includes(token);
    if (repo.spec.access === 'private' && !allowed) {
      this.#error(res, token ? 404 : 401, 'RepoNotFound', 'Repository not found');
      return false;
    }
    if (repo.spec.access === 'gated' && download && !allowed) {
      this.#error(
        res,
        token ? 403 : 401,
        'GatedRepo',
        token
          ? `Access to model ${id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${id} to ask for access.`
          : `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      );
      return false;
    }
    return true;
  }

  #revision(res: http.ServerResponse, state: RepoState, rev: string): boolean {
    if (rev === 'main' || rev === state.commit || (state.spec.revisions ?? []).includes(rev)) return true;
    this.#error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    return false;
  }

  #serveApi(res: http.ServerResponse, segs: string[], url: URL, token: string | null): void {
    const found = this.#findRepo(segs);
    if (!found || found.renamedTo) {
      if (found?.renamedTo) return this.#redirect(res, 307, `/api/models/${found.renamedTo}/${found.rest.join('/')}${url.search}`, '');
      return this.#error(res, token ? 404 : 401, 'RepoNotFound', 'Repository not found');
    }
    const { id, rest } = found;
    if (!this.#access(res, id, token, false)) return;
    const state = this.#repos.get(id)!;
    const [what, revRaw, ...pathSegs] = rest;
    const rev = decodeURIComponent(revRaw ?? 'main');
    if (!this.#revision(res, state, rev)) return;
    if (what === 'revision') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          _id: state.commit.slice(0, 24),
          id,
          modelId: id,
          sha: this.#tampers.get(id)?.sha ?? state.commit,
          private: state.spec.access === 'private',
          gated: state.spec.access === 'gated' ? 'manual' : false,
          disabled: false,
          siblings: [...state.files.keys()].sort().map((rfilename) => ({ rfilename })),
          lastModified: '2024-01-01T00:00:00.000Z',
          tags: [],
        }),
      );
      return;
    }
    if (what !== 'tree') return this.#error(res, 404, '', `no such endpoint ${url.pathname}`);
    const dir = pathSegs.map(decodeURIComponent).join('/');
    const recursive = url.searchParams.get('recursive') === 'true';
    const all = [...state.files.values()].sort((a, b) => a.path.localeCompare(b.path));
    const under = all.filter((f) => dir === '' || f.path.startsWith(`${dir}/`));
    if (dir && !under.length) return this.#error(res, 404, 'EntryNotFound', `${dir} does not exist on "${rev}"`);
    const entries: Record<string, unknown>[] = [];
    const dirs = new Set<string>();
    for (const f of under) {
      const rel = dir ? f.path.slice(dir.length + 1) : f.path;
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = [dir, ...parts.slice(0, i)].filter(Boolean).join('/');
        if ((recursive || i === 1) && !dirs.has(d)) {
          dirs.add(d);
          entries.push({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d });
        }
      }
      if (!recursive && parts.length > 1) continue;
      entries.push({
        type: 'file',
        oid: f.oid,
        size: f.data.length,
        path: f.path,
        ...(f.lfs ? { lfs: { oid: f.sha256, size: f.data.length, pointerSize: 134 } } : {}),
      });
    }
    for (const p of this.#tampers.get(id)?.treePaths ?? []) entries.push({ type: 'file', oid: sha1Blob(Buffer.from(p)), size: 1, path: p });
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(cursor, cursor + this.#pageSize);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (cursor + this.#pageSize < entries.length) {
      const next = new URL(url.toString());
      next.searchParams.set('cursor', String(cursor + this.#pageSize));
      headers['link'] = `<${this.url}${next.pathname}${next.search}>; rel="next"`;
    }
    res.writeHead(200, headers);
    res.end(JSON.stringify(page));
  }

  #redirect(res: http.ServerResponse, status: number, location: string, commit: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { location, ...(commit ? { 'x-repo-commit': commit } : {}), ...extra, 'content-length': '0' });
    res.end();
  }

  #serveResolve(req: http.IncomingMessage, res: http.ServerResponse, segs: string[], url: URL, token: string | null): void {
    const found = this.#findRepo(segs);
    if (found?.renamedTo) return this.#redirect(res, 307, `/${found.renamedTo}/${found.rest.join('/')}${url.search}`, '');
    if (!found || found.rest[0] !== 'resolve') {
      if (!found) return this.#error(res, token ? 404 : 401, 'RepoNotFound', 'Repository not found');
      return this.#error(res, 404, '', `no such endpoint ${url.pathname}`);
    }
    const { id, rest } = found;
    if (!this.#access(res, id, token, true)) return;
    const state = this.#repos.get(id)!;
    const rev = decodeURIComponent(rest[1] ?? 'main');
    if (!this.#revision(res, state, rev)) return;
    const file = rest.slice(2).map(decodeURIComponent).join('/');
    const f = state.files.get(file);
    if (!f) return this.#error(res, 404, 'EntryNotFound', 'Entry not found', { 'x-repo-commit': state.commit });
    const tamper = this.#tampers.get(id);
    const commit = tamper?.repoCommit ?? state.commit;
    const etag = tamper?.etags?.[file];
    if (f.lfs) {
      const folder = ['models', ...id.split('/')].join('--');
      return this.#redirect(res, 302, `${this.cdnUrl}/cdn-lfs/${folder}/${f.sha256}?X-Amz-Signature=fake`, commit, {
        etag: `"${f.oid}"`,
        'x-linked-etag': etag ?? `"${f.sha256}"`,
        'x-linked-size': String(f.data.length),
      });
    }
    this.#sendBody(req, res, f, { etag: etag ?? `"${f.oid}"`, 'x-repo-commit': commit });
  }

  #serveCdn(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const sha = url.pathname.split('/').pop() ?? '';
    for (const state of this.#repos.values()) {
      for (const f of state.files.values()) if (f.lfs && f.sha256 === sha) return this.#sendBody(req, res, f, { etag: `"${f.sha256}"` });
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('NoSuchKey');
  }

  /** Sends a file's bytes, honouring Range and the file's faults. */
  #sendBody(req: http.IncomingMessage, res: http.ServerResponse, f: Stored, headers: Record<string, string>): void {
    const size = f.data.length;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers['range'];
    const h: Record<string, string> = { ...headers, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    if (range) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!m || Number(m[1]) >= size) {
        res.writeHead(416, { ...h, 'content-range': `bytes */${size}` });
        res.end();
        return;
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(size - 1, Number(m[2])) : size - 1;
      status = 206;
      h['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    h['content-length'] = String(Math.max(0, end - start + 1));
    res.writeHead(status, h);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const fault = this.#faults.get(f.sha256);
    let body = f.data.subarray(start, end + 1);
    if (fault?.corrupt && body.length > 0) {
      body = Buffer.from(body);
      body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
    }
    let limit = body.length;
    let drop = false;
    if (fault?.dropAfter && fault.dropAfter.times > 0) {
      fault.dropAfter.times--;
      limit = Math.min(limit, fault.dropAfter.bytes);
      drop = true;
    }
    const chunk = this.chunkBytes;
    let at = 0;
    const pump = (): void => {
      while (at < limit) {
        const piece = body.subarray(at, Math.min(limit, at + chunk));
        at += piece.length;
        const more = res.write(piece);
        if (this.slowMs > 0) {
          setTimeout(pump, this.slowMs);
          return;
        }
        if (!more) {
          res.once('drain', pump);
          return;
        }
      }
      if (drop) {
        // let the written bytes leave, then cut the connection mid-body
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      res.end();
    };
    pump();
  }
}

/** Repos made of the reference fixtures, named as the catalog's releases are, plus plain ones. */
export function fixtureRepos(fixtures: { name: string; modelDir: string; saeDir: string }[]): Record<string, FakeRepo> {
  const byName = new Map(fixtures.map((c) => [c.name, c]));
  const pick = (n: string): { modelDir: string; saeDir: string } => {
    const c = byName.get(n);
    if (!c) throw new Error(`no reference case ${n}`);
    return c;
  };
  const repos: Record<string, FakeRepo> = {};
  // SAELens layout: one folder per hook, as jbloom/GPT2-Small-SAEs-Reformatted
  repos['jbloom/GPT2-Small-SAEs-Reformatted'] = {
    files: {
      ...folderFiles(pick('gpt2-relu-l2pre').saeDir, 'blocks.2.hook_resid_pre'),
      ...folderFiles(pick('gpt2-relu-nopast-l1pre').saeDir, 'blocks.1.hook_resid_pre'),
      'README.md': Buffer.from('# GPT-2 small residual SAEs (test copy)\n'),
    },
  };
  // Gemma Scope layout: layer_L/width_W/average_l0_N/params.npz
  repos['google/gemma-scope-2b-pt-res'] = {
    files: {
      ...folderFiles(path.join(pick('gpt2-gemmascope-l1post').saeDir, 'layer_1'), 'layer_1/width_16k/average_l0_8'),
      ...folderFiles(path.join(pick('gpt2-gemmascope-l1post').saeDir, 'layer_1'), 'layer_1/width_16k/average_l0_40'),
    },
  };
  // ONNX model repos, as HF exports lay them out (model.onnx at the root, or in onnx/)
  for (const c of fixtures) repos[`ref/${c.name}-model`] = { files: folderFiles(c.modelDir) };
  repos['ref/gpt2-onnx-subfolder'] = {
    files: {
      ...Object.fromEntries(
        Object.entries(folderFiles(pick('gpt2-relu-l2pre').modelDir)).map(([p, s]) => [p === 'model.onnx' ? 'onnx/model.onnx' : p, s]),
      ),
      'onnx/decoder_model_merged.onnx': Buffer.from('not a model: merged decoders are never fetched'),
    },
  };
  return repos;
}
