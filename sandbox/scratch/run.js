'use strict';
/*
 * Runs one Scratch 3 project (its project.json) headless with the real scratch-vm, for the judge.
 *
 *   node run.js project.json [check]                    naive: loads the VM (about a second)
 *   node --snapshot-blob vm.blob --build-snapshot run.js   at image build: a startup snapshot with
 *                                                          the VM's code already loaded
 *   node --snapshot-blob vm.blob project.json [check]    per test: starts from that snapshot
 *
 * I/O convention (docs/scratch.md): `ask and wait` reads one line of stdin (the question text is
 * ignored); a question of exactly `read_token` reads one whitespace-separated token instead (and,
 * when only blanks are left on its line, that line too). `answer` is that value. `say` writes its
 * text and "\n" to stdout, `think` its text alone; an empty text writes nothing. Asking past the end
 * of the input is a runtime error (exit code 3). The project starts as if the green flag was clicked,
 * runs in turbo mode with no renderer, stepped back to back (never paced to 60 frames a second), and
 * ends when no script runs any more or on `stop all`.
 *
 * `check` loads the project and exits 0, or prints the reason and exits 1 (a compile error):
 * a project.json the VM cannot load, or an extension other than pen. It is run once per
 * submission, before the tests.
 *
 * Exit codes: 0 finished, 1 cannot load, 2 bad usage, 3 read past the end of the input, 4 the
 * project threw an error, 5 output failed (file size limit).
 */

const fs = require('fs');
const path = require('path');
const v8 = require('v8');

const ROOT = (typeof __dirname === 'string' && __dirname) || '/opt/scratch';
const ALLOWED_EXTENSIONS = new Set(['pen']);
const READ_TOKEN = 'read_token';

// Modules scratch-vm requires that a headless run never uses (rendering, sb1/sb2 import, hardware
// extensions): replaced by empty objects, which saves most of the load time and memory.
const STUBS = {
    'scratch-svg-renderer': {BitmapAdapter: class {}, inlineSvgFonts: s => s, loadSvgString: () => null,
        serializeSvgToString: () => ''},
    'scratch-sb1-converter': {},
    '@vernier/godirect': {},
    'canvas-toBlob': {},
    'scratch-render': {}
};

// Node's own modules (the snapshot builder cannot use require('module') to list them)
const BUILTINS = new Set(['assert', 'async_hooks', 'buffer', 'child_process', 'cluster', 'console',
    'constants', 'crypto', 'dgram', 'diagnostics_channel', 'dns', 'domain', 'events', 'fs', 'http',
    'http2', 'https', 'inspector', 'module', 'net', 'os', 'path', 'perf_hooks', 'process',
    'punycode', 'querystring', 'readline', 'repl', 'stream', 'string_decoder', 'sys', 'timers',
    'tls', 'trace_events', 'tty', 'url', 'util', 'v8', 'vm', 'wasi', 'worker_threads', 'zlib']);

/* A small CommonJS loader: the snapshot builder's own require() only knows Node's built-in
 * modules, so scratch-vm and its dependencies are read and compiled by hand. */
function makeLoader (nativeRequire) {
    const cache = new Map();
    const isFile = p => {
        try {
            return fs.statSync(p).isFile();
        } catch (e) {
            return false;
        }
    };
    const exportTarget = entry => {
        if (typeof entry === 'string') return entry;
        if (Array.isArray(entry)) {
            for (const e of entry) {
                const t = exportTarget(e);
                if (t) return t;
            }
            return null;
        }
        if (entry && typeof entry === 'object') {
            for (const cond of ['require', 'node', 'default']) {
                if (cond in entry) {
                    const t = exportTarget(entry[cond]);
                    if (t) return t;
                }
            }
        }
        return null;
    };
    const resolveFile = p => {
        for (const c of [p, `${p}.js`, `${p}.json`]) if (isFile(c)) return c;
        const pkgFile = path.join(p, 'package.json');
        if (isFile(pkgFile)) {
            const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
            const main = (pkg.exports && exportTarget(typeof pkg.exports === 'object' && '.' in pkg.exports ?
                pkg.exports['.'] : pkg.exports)) || pkg.main;
            if (main) {
                const r = resolveFile(path.join(p, main));
                if (r) return r;
            }
        }
        const index = path.join(p, 'index.js');
        return isFile(index) ? index : null;
    };
    const resolvePackage = (dir, request) => {
        const parts = request.split('/');
        const nameLen = request.startsWith('@') ? 2 : 1;
        const name = parts.slice(0, nameLen).join('/');
        const sub = parts.slice(nameLen).join('/');
        const base = path.join(dir, name);
        if (sub) {
            const pkgFile = path.join(base, 'package.json');
            if (isFile(pkgFile)) {
                const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
                if (pkg.exports && typeof pkg.exports === 'object' && `./${sub}` in pkg.exports) {
                    const t = exportTarget(pkg.exports[`./${sub}`]);
                    if (t) return resolveFile(path.join(base, t));
                }
            }
            return resolveFile(path.join(base, sub));
        }
        return resolveFile(base);
    };
    const resolve = (request, fromDir) => {
        if (request.startsWith('./') || request.startsWith('../') || request.startsWith('/') ||
            request === '.' || request === '..') {
            return resolveFile(path.resolve(fromDir, request));
        }
        for (let d = fromDir; ; d = path.dirname(d)) {
            if (path.basename(d) !== 'node_modules') {
                const r = resolvePackage(path.join(d, 'node_modules'), request);
                if (r) return r;
            }
            if (d === path.dirname(d)) return null;
        }
    };
    const load = (request, fromDir) => {
        if (Object.prototype.hasOwnProperty.call(STUBS, request)) return STUBS[request];
        const bare = request.startsWith('node:') ? request.slice(5) : request;
        if (!bare.startsWith('.') && !bare.startsWith('/')) {
            if (BUILTINS.has(bare.split('/')[0])) return nativeRequire(bare);
        }
        const file = resolve(request, fromDir);
        if (!file) throw new Error(`cannot find module ${request} from ${fromDir}`);
        if (cache.has(file)) return cache.get(file).exports;
        const module = {exports: {}, filename: file, loaded: false};
        cache.set(file, module);
        const text = fs.readFileSync(file, 'utf8');
        if (file.endsWith('.json')) {
            module.exports = JSON.parse(text);
        } else {
            const dir = path.dirname(file);
            const req = r => load(r, dir);
            req.resolve = r => resolve(r, dir);
            // Function rather than vm.compileFunction: the vm module is not supported in snapshots
            const fn = new Function('exports', 'require', 'module', '__filename', '__dirname', // eslint-disable-line no-new-func
                `${text.replace(/^#!.*/, '')}\n//# sourceURL=${file}`);
            fn.call(module.exports, module.exports, req, module, file, dir);
        }
        module.loaded = true;
        return module.exports;
    };
    return load;
}

/* The test's input as a cursor over lines and tokens. */
class Input {
    constructor (text) {
        this.text = text;
        this.pos = 0;
    }

    line () {
        if (this.pos >= this.text.length) return null;
        let end = this.text.indexOf('\n', this.pos);
        if (end < 0) end = this.text.length;
        let line = this.text.slice(this.pos, end);
        this.pos = end + 1;
        if (line.endsWith('\r')) line = line.slice(0, -1);
        return line;
    }

    token () {
        const t = this.text;
        let i = this.pos;
        while (i < t.length && /\s/.test(t[i])) i++;
        if (i >= t.length) {
            this.pos = i;
            return null;
        }
        let j = i;
        while (j < t.length && !/\s/.test(t[j])) j++;
        const token = t.slice(i, j);
        // blanks up to the end of the line: that line is used up
        let k = j;
        while (k < t.length && (t[k] === ' ' || t[k] === '\t' || t[k] === '\r')) k++;
        this.pos = (k < t.length && t[k] === '\n') ? k + 1 : (k >= t.length ? k : j);
        return token;
    }
}

class Output {
    constructor (fd) {
        this.fd = fd;
        this.parts = [];
        this.size = 0;
    }

    write (s) {
        if (!s) return;
        this.parts.push(s);
        this.size += s.length;
        if (this.size >= 1 << 16) this.flush();
    }

    flush () {
        if (!this.parts.length) return;
        const buf = Buffer.from(this.parts.join(''), 'utf8');
        this.parts = [];
        this.size = 0;
        let off = 0;
        while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    }
}

function fail (code, message) {
    try {
        fs.writeSync(2, `${message}\n`);
    } catch (e) { /* nothing more to do */ }
    process.exit(code);
}

/* Extensions a project uses (from its opcodes and its `extensions` list) other than pen. */
function foreignExtensions (project, VirtualMachine) {
    const found = new Set(Array.isArray(project.extensions) ? project.extensions : []);
    for (const target of Array.isArray(project.targets) ? project.targets : []) {
        const blocks = target && target.blocks;
        if (!blocks || typeof blocks !== 'object') continue;
        for (const id of Object.keys(blocks)) {
            const b = blocks[id];
            if (b && typeof b.opcode === 'string') {
                const prefix = b.opcode.split('_')[0];
                if (!VirtualMachine.CORE.has(prefix)) found.add(prefix);
            }
        }
    }
    return [...found].filter(e => typeof e === 'string' && !ALLOWED_EXTENSIONS.has(e)).sort();
}

/* Load the VM's code (once: at snapshot build, or at the start of a naive run). */
function prepare (nativeRequire) {
    const load = makeLoader(nativeRequire);
    const VirtualMachine = load('scratch-vm', ROOT);
    const Cast = load('scratch-vm/src/util/cast', ROOT);
    const Thread = load('scratch-vm/src/engine/thread', ROOT);
    VirtualMachine.CORE = new Set(['argument', 'colour', 'control', 'data', 'event', 'looks',
        'math', 'motion', 'operator', 'procedures', 'sensing', 'sound']);
    // Quiet the VM's own logging (it would land in the program's stderr).
    try {
        load('scratch-vm/src/util/log', ROOT).level = 'error';
        const minilog = load('minilog', ROOT);
        if (minilog && minilog.disable) minilog.disable();
    } catch (e) { /* logging stays as is */ }
    return {VirtualMachine, Cast, Thread};
}

async function runProject (lib, argv) {
    const {VirtualMachine, Cast, Thread} = lib;
    const file = argv[0];
    const check = argv[1] === 'check';
    if (!file || argv.length > 2 || (argv.length === 2 && !check)) fail(2, 'usage: run.js project.json [check]');
    let text;
    let project;
    try {
        text = fs.readFileSync(file, 'utf8');
        project = JSON.parse(text);
    } catch (e) {
        fail(1, `project.json: ${e.message}`);
    }
    const foreign = foreignExtensions(project, VirtualMachine);
    if (foreign.length) fail(1, `extension not allowed: ${foreign.join(', ')}`);

    const vm = new VirtualMachine();
    const runtime = vm.runtime;
    try {
        // the VM's sb3 deserializer, without scratch-parser's schema check (which loads and
        // compiles a JSON-schema validator: about a second per process, and it cannot be kept in
        // the snapshot); judge/scratch.py checks the structure before a project gets here
        project.projectVersion = 3;
        await vm.deserializeProject(project, null);
        runtime.handleProjectLoaded();
    } catch (e) {
        fail(1, `cannot load the project: ${(e && e.message) || e}`);
    }
    if (check) {
        process.exit(0);
    }

    const input = new Input(fs.readFileSync(0, 'utf8'));
    const out = new Output(1);
    const print = (value, newline) => {
        const s = Cast.toString(value);
        if (s !== '') out.write(newline ? `${s}\n` : s);
    };
    const prims = runtime._primitives;
    let answer = '';
    prims.looks_say = args => print(args.MESSAGE, true);
    prims.looks_think = args => print(args.MESSAGE, false);
    prims.looks_sayforsecs = args => print(args.MESSAGE, true);
    prims.looks_thinkforsecs = args => print(args.MESSAGE, false);
    let pastEnd = false;
    prims.sensing_askandwait = args => {
        const value = String(args.QUESTION) === READ_TOKEN ? input.token() : input.line();
        if (value === null) {
            pastEnd = true;
            runtime.stopAll();
            return;
        }
        answer = value;
    };
    prims.sensing_answer = () => answer;
    let stopped = false;
    runtime.on('PROJECT_STOP_ALL', () => {
        stopped = true;
    });

    runtime.turboMode = true;
    runtime.currentStepTime = 1000; // work up to 750 ms per step before looking at timers again
    runtime.updateCurrentMSecs();
    vm.greenFlag();
    stopped = false;
    try {
        while (!stopped && runtime.threads.length > 0) {
            runtime._step();
            if (pastEnd) break;
            const waiting = runtime.threads.some(t => t.status === Thread.STATUS_PROMISE_WAIT);
            if (waiting) await new Promise(r => setImmediate(r));
        }
    } catch (e) {
        try {
            out.flush();
        } catch (e2) { /* exit code says it */ }
        fail(4, `the project failed: ${(e && e.stack) || e}`);
    }
    try {
        out.flush();
    } catch (e) {
        fail(5, `output: ${e.message}`);
    }
    if (pastEnd) fail(3, 'read past the end of the input');
    process.exit(0);
}

if (v8.startupSnapshot && v8.startupSnapshot.isBuildingSnapshot()) {
    const lib = prepare(require);
    v8.startupSnapshot.setDeserializeMainFunction(() => {
        runProject(lib, process.argv.slice(1)).catch(e => fail(4, String((e && e.stack) || e)));
    });
} else if (require.main === module) {
    const lib = prepare(require);
    runProject(lib, process.argv.slice(2)).catch(e => fail(4, String((e && e.stack) || e)));
}
