// run.js runs every case of an ONNX export check directory (written by
// `go run ./onnx/check` and the custom-layer example's test, see check.sh)
// with onnxruntime and compares its probabilities with goras's:
//
//   NODE_PATH=ORT_DIR/node_modules node onnx/check/run.js DIR [TOLERANCE]
//
// Each case's ONNX file runs on the images of DIR/x.f32 in batches of 1000
// (onnxruntime with 2 intra-op threads, the batch dimension dynamic); the
// largest absolute difference from goras's probabilities must be at most
// TOLERANCE (default 1e-5), or the case's own "tolerance" (int8 models'). It
// prints one line per case and exits 1 if any case differs by more, or has
// names other than the manifest says.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function readF32(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

async function runCase(dir, c, x, n) {
  const session = await ort.InferenceSession.create(path.join(dir, c.model), { intraOpNumThreads: 2 });
  if (session.inputNames.join() !== c.input || session.outputNames.join() !== c.output) {
    return { error: `names: inputs ${session.inputNames} outputs ${session.outputNames}, want ${c.input} and ${c.output}` };
  }
  const want = readF32(path.join(dir, c.want));
  const per = c.shape.reduce((a, b) => a * b, 1);
  const classes = want.length / n;
  let maxDiff = 0;
  let argmaxDiff = 0;
  const batch = 1000;
  for (let lo = 0; lo < n; lo += batch) {
    const hi = Math.min(lo + batch, n);
    const input = new ort.Tensor('float32', x.subarray(lo * per, hi * per), [hi - lo, ...c.shape]);
    const got = (await session.run({ [c.input]: input }))[c.output].data;
    if (got.length !== (hi - lo) * classes) {
      return { error: `output has ${got.length} values for ${hi - lo} images, want ${(hi - lo) * classes}` };
    }
    for (let i = 0; i < hi - lo; i++) {
      let ag = 0;
      let aw = 0;
      for (let k = 0; k < classes; k++) {
        const g = got[i * classes + k];
        const w = want[(lo + i) * classes + k];
        const d = Math.abs(g - w);
        maxDiff = d > maxDiff || Number.isNaN(d) ? d : maxDiff;
        if (g > got[i * classes + ag]) ag = k;
        if (w > want[(lo + i) * classes + aw]) aw = k;
      }
      if (ag !== aw) argmaxDiff++;
    }
  }
  return { maxDiff, argmaxDiff };
}

async function main() {
  const dir = process.argv[2];
  const tol = Number(process.argv[3] || '1e-5');
  if (!dir) {
    console.error('usage: node run.js DIR [TOLERANCE]');
    process.exit(2);
  }
  const x = readF32(path.join(dir, 'x.f32'));
  const n = x.length / (28 * 28);
  const cases = [];
  for (const f of fs.readdirSync(dir).filter((f) => /^manifest-.*\.json$/.test(f)).sort()) {
    cases.push(...JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  }
  console.log(`onnxruntime-node ${require('onnxruntime-node/package.json').version}, ${n} MNIST test images, tolerance ${tol}`);
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    const r = await runCase(dir, c, x, n);
    const weights = c.trained ? 'trained' : 'seeded';
    let line = `${c.name.padEnd(32)} ${weights.padEnd(8)}`;
    if (r.error) {
      line += ` FAIL ${r.error}`;
    } else {
      const caseTol = c.tolerance || tol;
      const ok = r.maxDiff <= caseTol; // false for NaN too
      const within = caseTol === tol ? '' : `  (tolerance ${caseTol})`;
      line += ` max|diff| ${r.maxDiff.toExponential(2)}  argmax differs on ${r.argmaxDiff}/${n}${within}  ${ok ? 'ok' : 'FAIL'}`;
      if (ok) passed++;
    }
    if (!line.endsWith('ok')) failed++;
    console.log(line);
  }
  if (cases.length === 0) {
    console.log(`no cases in ${dir}`);
    failed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
