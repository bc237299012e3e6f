// bench.js measures onnxruntime's inference throughput on the files
// bench/onnx/main.go -prepare wrote, as main.go measures goras's: batch 1
// and batch 1000 over the MNIST test images, each for SECONDS after a
// warm-up, one JSON line per model and batch size.
//
//   NODE_PATH=ORT_DIR/node_modules node bench/onnx/bench.js DIR [SECONDS]
//
// onnxruntime runs with 2 intra-op threads (goras uses 2 cores), one
// inter-op thread, sequential execution and every graph optimization.
// Each call is an awaited session.run, as a Node service would make it.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function measure(session, x, shape, batch, seconds) {
  const per = shape.reduce((a, b) => a * b, 1);
  const n = Math.floor(x.length / per / batch);
  const feeds = [];
  for (let i = 0; i < n; i++) {
    const t = new ort.Tensor('float32', x.subarray(i * batch * per, (i + 1) * batch * per), [batch, ...shape]);
    feeds.push({ [session.inputNames[0]]: t });
  }
  const warm = process.hrtime.bigint();
  for (let i = 0; i < 20 || Number(process.hrtime.bigint() - warm) / 1e9 < seconds / 4; i++) {
    await session.run(feeds[i % n]);
  }
  const start = process.hrtime.bigint();
  let calls = 0;
  let s = 0;
  for (; calls < 10 || s < seconds; calls++) {
    await session.run(feeds[calls % n]);
    s = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return { images_per_s: (calls * batch) / s, calls, seconds: s };
}

async function main() {
  const dir = process.argv[2];
  const seconds = Number(process.argv[3] || 2);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json')));
  const b = fs.readFileSync(path.join(dir, 'x.f32'));
  const x = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  for (const e of manifest) {
    const session = await ort.InferenceSession.create(path.join(dir, e.file), {
      intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    });
    for (const batch of [1, 1000]) {
      const r = await measure(session, x, e.shape, batch, seconds);
      console.log(JSON.stringify({ framework: 'onnxruntime', model: e.model, batch, ...r }));
    }
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
