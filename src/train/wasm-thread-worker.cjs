/*
 * The pthread worker of TensorFlow.js's threaded-SIMD wasm build, loadable by Node's worker_threads.
 * TensorFlow.js hands emscripten `blob:` URLs for the worker and for the main script, which Node's
 * workers cannot load; backend.ts points the worker at this file instead, and this file answers the
 * worker's own URL.createObjectURL(mainScriptBlob) with the path of the same main script on disk,
 * then runs the worker code that TensorFlow.js ships (the string it would have put in the blob).
 */
'use strict';
const path = require('node:path');
const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const mainScript = path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
URL.createObjectURL = () => mainScript;
URL.revokeObjectURL = () => {};
const { wasmWorkerContents } = require(path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js'));
// escaped as TensorFlow.js escapes it for its blob: the source holds "\n" inside string literals
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(require, __filename);
