'use strict';
// A V8 code cache for the CommonJS modules of jsii's kernel during a synth.
//
// Loaded with `node --require` (NODE_OPTIONS) by cdktf_restate/synth_kernel.py, into the jsii
// kernel's node processes only. Node 20 has no compile cache of its own (22 has), so every synth
// parses and compiles the kernel and cdktf's JavaScript (~380 modules) again. Here each module's
// compiled code is kept in CDKTF_RESTATE_CODE_CACHE_DIR (made private by the Python side), keyed
// by a digest of its source, node's version and the CPU architecture; V8 checks the source and
// its flags again and rejects data that does not fit, and such a module compiles as usual. Any
// failure here falls back to node's own compile: the cache can make a synth faster, never wrong.

const Module = require('module');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const cacheDir = process.env.CDKTF_RESTATE_CODE_CACHE_DIR;
if (cacheDir) {
  installCodeCache(cacheDir);
}

function installCodeCache(dir) {
  const nodeCompile = Module.prototype._compile;
  const toWrite = [];
  const counts = { hits: 0, misses: 0, skipped: 0 };

  Module.prototype._compile = function compileWithCache(content, filename) {
    // A script compiled by vm.Script cannot run `import()`; leave such modules to node.
    if (content.includes('import(')) {
      counts.skipped += 1;
      return nodeCompile.call(this, content, filename);
    }
    let script;
    try {
      const file = path.join(dir, cacheKey(content));
      const cachedData = readIfPresent(file);
      script = new vm.Script(Module.wrap(content), { filename, cachedData });
      if (cachedData === undefined || script.cachedDataRejected) {
        counts.misses += 1;
        toWrite.push({ script, file });
      } else {
        counts.hits += 1;
      }
    } catch {
      // A syntax error, for one: node's compile reports it as usual.
      counts.skipped += 1;
      return nodeCompile.call(this, content, filename);
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
      writeAtomically(file, script.createCachedData());
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

function cacheKey(content) {
  return crypto
    .createHash('sha256')
    .update(`${process.version}\0${process.arch}\0`)
    .update(content)
    .digest('hex');
}

function readIfPresent(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeAtomically(file, data) {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, data, { mode: 0o600 });
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
