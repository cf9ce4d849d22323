// ort_bench.js: times one ONNX model under ONNX Runtime (CPU, FP32) for the peer comparison;
// prints one JSON line with ms_median. Usage: node ort_bench.js MODEL.onnx SIZE THREADS ITERS
'use strict';
const ort = require('onnxruntime-node');

async function main() {
  const [model, sizeArg, threadsArg, itersArg] = process.argv.slice(2);
  const size = parseInt(sizeArg, 10), threads = parseInt(threadsArg, 10), iters = parseInt(itersArg, 10);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const data = new Float32Array(3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.random();
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, size, size]) };
  for (let i = 0; i < 3; i++) await session.run(feeds); // warm-up
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ peer: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version,
    threads, size, iters, ms_median: times[Math.floor(iters / 2)], ms_min: times[0] }));
}
main().catch((e) => { console.error('ort_bench: ' + e.message); process.exit(1); });
