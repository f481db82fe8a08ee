'use strict';
// A V8 code cache for the CommonJS modules of jsii's kernel during a synth.
//
// Loaded with `node --require` (NODE_OPTIONS) by cdktf_restate/synth_kernel.py into jsii's two
// node processes (the relay and the kernel it starts). Node 20 has no compile cache of its own
// (22 has), so every synth compiles the kernel's and cdktf's JavaScript (~380 modules) again.
//
// Trust: V8 checks little more than a cache entry's length and its own version and flags, and
// runs the code an entry holds. So entries are named by a digest of the module's source (and
// node's version and architecture), each carries a digest of its own bytes, checked before V8
// sees it, and only a directory and files of this user that no one else can write are read.
// Anything unusual falls back to node's own compile.
//
// Environment: synth_kernel.py starts node with NODE_EXTRA_CA_CERTS left out and this file in
// NODE_OPTIONS. The first node process (jsii's relay) starts only the kernel, which must inherit
// both, so it keeps them and marks the environment. The process started under it (the kernel)
// puts the user's values back into its process.env at once, so that processes the kernel's
// JavaScript may start get the user's environment. (If jsii ever runs the kernel in one process,
// its children simply keep the synth environment.)

const Module = require('module');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const DIGEST_BYTES = 32;
const RESTORE_VARIABLE = 'CDKTF_RESTATE_KERNEL_RESTORE_ENV';
const HOOK_PARENT_VARIABLE = 'CDKTF_RESTATE_KERNEL_HOOK_PARENT';

const cacheDir = process.env.CDKTF_RESTATE_CODE_CACHE_DIR; // read before the restore below
if (process.env[HOOK_PARENT_VARIABLE] === undefined) {
  process.env[HOOK_PARENT_VARIABLE] = String(process.pid);
} else {
  restoreUserEnvironment();
}
if (cacheDir && compatibleWithThisProcess() && privateDirectory(cacheDir)) {
  installCodeCache(cacheDir);
}

function restoreUserEnvironment() {
  const saved = process.env[RESTORE_VARIABLE];
  if (saved === undefined) return;
  try {
    for (const [name, value] of Object.entries(JSON.parse(saved))) {
      if (value === null) delete process.env[name];
      else process.env[name] = value;
    }
  } catch {
    // Malformed: leave the environment as it is.
  }
  delete process.env[RESTORE_VARIABLE];
  delete process.env[HOOK_PARENT_VARIABLE];
}

// Source maps, a debugger and policies work on node's own compile; leave them to it.
function compatibleWithThisProcess() {
  if (process.sourceMapsEnabled) return false;
  const options = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS || ''}`;
  return !/--(inspect|debug|experimental-policy|policy-integrity|enable-source-maps)/.test(options);
}

function privateDirectory(dir) {
  try {
    return trustworthy(fs.lstatSync(dir), true);
  } catch {
    return false;
  }
}

function trustworthy(stats, directory) {
  const ownType = directory ? stats.isDirectory() : stats.isFile();
  return ownType && stats.uid === process.getuid() && (stats.mode & 0o022) === 0;
}

function installCodeCache(dir) {
  const nodeCompile = Module.prototype._compile;
  const toWrite = [];
  const counts = { hits: 0, misses: 0, skipped: 0 };

  Module.prototype._compile = function compileWithCache(content, filename, format) {
    // Node 20.19+ also sends ES modules here (require(esm)); a compiled script cannot run
    // `import()`. Both stay with node.
    if ((format !== undefined && format !== 'commonjs') || usesDynamicImport(content)) {
      counts.skipped += 1;
      return nodeCompile.call(this, content, filename, format);
    }
    let script;
    try {
      const file = path.join(dir, cacheKey(content));
      const cachedData = readEntry(file);
      // The wrapper on lines of its own: line and column numbers match node's compile.
      const source = `${Module.wrapper[0]}\n${content}\n${Module.wrapper[1]}`;
      script = new vm.Script(source, { filename, cachedData, lineOffset: -1 });
      if (cachedData === undefined || script.cachedDataRejected) {
        counts.misses += 1;
        toWrite.push({ script, file });
      } else {
        counts.hits += 1;
      }
    } catch {
      // A syntax error, for one: node's compile reports it as usual.
      counts.skipped += 1;
      return nodeCompile.call(this, content, filename, format);
    }
    const moduleFunction = script.runInThisContext({ displayErrors: true });
    return moduleFunction.call(
      this.exports,
      this.exports,
      requireFor(this),
      this,
      filename,
      path.dirname(filename),
    );
  };

  // Written at exit, after the synth, so that functions compiled lazily during it are included.
  process.once('exit', () => {
    for (const { script, file } of toWrite) {
      writeEntry(file, script.createCachedData());
    }
    const report = process.env.CDKTF_RESTATE_CODE_CACHE_REPORT;
    if (report) {
      const line = JSON.stringify({ pid: process.pid, ...counts, written: toWrite.length });
      try {
        fs.appendFileSync(report, `${line}\n`);
      } catch {
        // A report is for tests; a synth never fails for it.
      }
    }
  });
}

function usesDynamicImport(content) {
  // `import(`, also with spaces or comments before the parenthesis.
  return /\bimport\s*(\/\*[\s\S]*?\*\/\s*|\/\/[^\n]*\n\s*)*\(/.test(content);
}

function cacheKey(content) {
  return crypto
    .createHash('sha256')
    .update(`${process.version}\0${process.arch}\0`)
    .update(content)
    .digest('hex');
}

// An entry: the sha256 of the code cache data, then the data.
function readEntry(file) {
  let fd;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    if (!trustworthy(fs.fstatSync(fd), false)) return undefined;
    const entry = fs.readFileSync(fd);
    const data = entry.subarray(DIGEST_BYTES);
    const digest = crypto.createHash('sha256').update(data).digest();
    if (entry.length <= DIGEST_BYTES || !digest.equals(entry.subarray(0, DIGEST_BYTES))) {
      return undefined; // damaged: compiled anew and written again at exit
    }
    return data;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function writeEntry(file, data) {
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    const digest = crypto.createHash('sha256').update(data).digest();
    fs.writeFileSync(temporary, Buffer.concat([digest, data]), { mode: 0o600, flag: 'wx' });
    fs.renameSync(temporary, file);
  } catch {
    try {
      fs.unlinkSync(temporary);
    } catch {
      // Nothing was written.
    }
  }
}

// The `require` a CommonJS module gets, built as node builds it.
function requireFor(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}
