package saving_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/saving"

	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

// saveData is a tiny batch of 28×28 "images" with one-hot labels.
func saveData(n int) (x, y *tensor.Tensor) {
	rng := tensor.NewRNG(99)
	x = tensor.New(n, 28, 28)
	x.FillUniform(rng, 0, 1)
	y = tensor.New(n, 10)
	for i := range n {
		y.Set(1, i, i%10)
	}
	return x, y
}

func mlp() *goras.Model {
	return goras.NewSequential(
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
}

// trained compiles m, takes two training steps so that the weights are no
// longer their seeded initial values, and returns the data.
func trained(t *testing.T, m *goras.Model, opts goras.CompileOptions) (x, y *tensor.Tensor) {
	t.Helper()
	m.SetSeed(3)
	if err := m.Compile(opts); err != nil {
		t.Fatal(err)
	}
	x, y = saveData(6)
	for range 2 {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}
	return x, y
}

func predict(t *testing.T, m *goras.Model, x *tensor.Tensor) []float32 {
	t.Helper()
	out, err := m.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	return out.Data()
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v bit for bit", what, i, got[i], want[i])
		}
	}
}

func TestSaveLoadMLP(t *testing.T) {
	m := mlp()
	sgd, _ := optimizers.NewSGD(optimizers.LearningRate(0.1), optimizers.Momentum(0.5))
	x, y := trained(t, m, goras.CompileOptions{Optimizer: sgd, Loss: losses.MeanSquaredError{}, Metrics: []string{"accuracy"}})
	path := filepath.Join(t.TempDir(), "mlp.safetensors")
	if err := saving.Save(m, path); err != nil {
		t.Fatal(err)
	}
	back, err := saving.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "reloaded predictions", predict(t, back, x), predict(t, m, x))
	if back.Name() != "sequential" || back.Seed() != 3 || back.CountParams() != 784*50+50+50*10+10 {
		t.Errorf("reloaded model: name %q seed %d params %d", back.Name(), back.Seed(), back.CountParams())
	}
	// The compile settings came back, so evaluate works and agrees.
	opt := back.Optimizer()
	if opt == nil || opt.Name() != "SGD" || opt.LearningRate() != 0.1 || opt.Config()["momentum"] != 0.5 {
		t.Fatalf("optimizer = %v", opt)
	}
	if ms := back.CompileConfig()["metrics"]; fmt.Sprint(ms) != "[accuracy]" {
		t.Errorf("metrics %v, want [accuracy]", ms)
	}
	if _, ok := back.Loss().(losses.MeanSquaredError); !ok {
		t.Errorf("loss %v", back.Loss())
	}
	want, err := m.Evaluate(x, y, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Evaluate(x, y, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if got["loss"] != want["loss"] || got["accuracy"] != want["accuracy"] {
		t.Errorf("evaluate after reload %v, before %v", got, want)
	}
}

// TestSaveLayout checks the file against the format and the metadata keys,
// reading it with the safetensors package alone.
func TestSaveLayout(t *testing.T) {
	m := mlp()
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := saving.Save(m, path); err != nil { // uncompiled and untrained is fine
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 || raw[8] != '{' {
		t.Errorf("header length %d / start %q", n, raw[8])
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ts := range f.Tensors {
		names = append(names, ts.Name)
	}
	if strings.Join(names, " ") != "dense/kernel dense/bias dense_1/kernel dense_1/bias" {
		t.Errorf("tensors %v", names)
	}
	if f.Metadata["format"] != "goras" || f.Metadata["goras_version"] != goras.Version || f.Metadata["seed"] != "0" {
		t.Errorf("metadata %v", f.Metadata)
	}
	if _, ok := f.Metadata["compile"]; ok {
		t.Error("an uncompiled model wrote compile settings")
	}
	var arch struct {
		ClassName string `json:"class_name"`
		Config    struct {
			Name   string
			Layers []struct {
				ClassName string         `json:"class_name"`
				Config    map[string]any `json:"config"`
			}
		}
	}
	if err := json.Unmarshal([]byte(f.Metadata["architecture"]), &arch); err != nil {
		t.Fatal(err)
	}
	ls := arch.Config.Layers
	if arch.ClassName != "Sequential" || arch.Config.Name != "sequential" || len(ls) != 4 {
		t.Fatalf("architecture %s", f.Metadata["architecture"])
	}
	if b, _ := json.Marshal(ls[0].Config["batch_shape"]); ls[0].ClassName != "InputLayer" || string(b) != "[null,28,28]" {
		t.Errorf("first layer %s %s", ls[0].ClassName, b)
	}
	if ls[2].ClassName != "Dense" || ls[2].Config["units"] != 50.0 || ls[2].Config["name"] != "dense" || ls[2].Config["activation"] != "relu" {
		t.Errorf("third layer %v", ls[2])
	}
}

// TestSaveLoadNoBiasRegularized covers a model without biases, with
// regularizers, non-default initializers, a loss with settings and an
// optimizer with clipping and a schedule.
func TestSaveLoadNoBiasRegularized(t *testing.T) {
	he := initializers.HeNormal()
	m := goras.NewSequential(
		layers.Input(28, 28),
		layers.Flatten(layers.WithName("flat")),
		layers.Dense(16, layers.WithActivation("tanh"), layers.WithUseBias(false), layers.WithKernelInitializer(he), layers.WithKernelRegularizer(regularizers.L2(0.01))),
		layers.Dense(10, layers.WithName("logits"), layers.WithKernelRegularizer(regularizers.L1L2(0.001, 0.002)), layers.WithBiasRegularizer(regularizers.L1(0.05))),
		layers.Activation("softmax"),
	)
	sched, _ := schedules.NewExponentialDecay(0.01, 10, 0.5, schedules.Staircase(true))
	adam, _ := optimizers.NewAdam(optimizers.Schedule(sched), optimizers.Beta1(0.8), optimizers.Amsgrad(true), optimizers.Clipnorm(1))
	loss := losses.CategoricalCrossentropy{LabelSmoothing: 0.1}
	x, y := trained(t, m, goras.CompileOptions{Optimizer: adam, Loss: loss, Metrics: []string{"accuracy"}})
	path := filepath.Join(t.TempDir(), "reg.safetensors")
	if err := saving.Save(m, path); err != nil {
		t.Fatal(err)
	}
	back, err := saving.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "predictions", predict(t, back, x), predict(t, m, x))
	for i, l := range back.Layers() {
		got, _ := json.Marshal(l.Config())
		want, _ := json.Marshal(m.Layers()[i].Config())
		if string(got) != string(want) {
			t.Errorf("layer %d config %s, want %s", i, got, want)
		}
	}
	if n := len(back.Params()); n != 3 {
		t.Errorf("%d weights, want 3 (no bias on the hidden layer)", n)
	}
	// Same loss with regularization penalties: the regularizers are back.
	want, _ := m.Evaluate(x, y, goras.Verbose(0))
	got, err := back.Evaluate(x, y, goras.Verbose(0))
	if err != nil || got["loss"] != want["loss"] {
		t.Errorf("evaluate %v (%v), want %v", got, err, want)
	}
	if l, ok := back.Loss().(losses.CategoricalCrossentropy); !ok || l.LabelSmoothing != 0.1 {
		t.Errorf("loss %#v", back.Loss())
	}
	gotOpt, _ := json.Marshal(back.Optimizer().Config())
	wantOpt, _ := json.Marshal(adam.Config())
	if string(gotOpt) != string(wantOpt) {
		t.Errorf("optimizer config\n got %s\nwant %s", gotOpt, wantOpt)
	}
}

func TestSaveWeightsLoadWeights(t *testing.T) {
	m := mlp()
	x, _ := trained(t, m, goras.CompileOptions{Loss: losses.MeanSquaredError{}})
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := saving.SaveWeights(m, path); err != nil {
		t.Fatal(err)
	}
	other := mlp()
	other.SetSeed(1234) // different initial weights, replaced by the file's
	if err := saving.LoadWeights(other, path); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "predictions", predict(t, other, x), predict(t, m, x))
	if _, err := saving.Load(path); err == nil || !strings.Contains(err.Error(), "holds weights only") {
		t.Errorf("saving.Load of a weights-only file: %v", err)
	}
}

// TestLoadWeightsForeign loads a plain safetensors file, as another framework
// writes it: no goras metadata, tensors in another order and in float16.
func TestLoadWeightsForeign(t *testing.T) {
	m := goras.NewSequential(layers.Input(2), layers.Dense(1, layers.WithName("d")))
	path := filepath.Join(t.TempDir(), "torch.safetensors")
	// bias 0.5 (F16 0x3800), kernel [1, -2] (F16 0x3c00, 0xc000).
	var data []byte
	for _, h := range []uint16{0x3800, 0x3c00, 0xc000} {
		data = binary.LittleEndian.AppendUint16(data, h)
	}
	h := `{"d/bias":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"d/kernel":{"dtype":"F16","shape":[2,1],"data_offsets":[2,6]}}`
	os.WriteFile(path, rawFile(h, data), 0o644)
	if err := saving.LoadWeights(m, path); err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromSlice([]float32{3, 1}, 1, 2)
	if got := predict(t, m, x); got[0] != 3*1+1*-2+0.5 {
		t.Errorf("prediction %v, want 1.5", got)
	}
	if _, err := saving.Load(path); err == nil || !strings.Contains(err.Error(), "not a goras model file") || !strings.Contains(err.Error(), "use LoadWeights") {
		t.Errorf("saving.Load of a foreign file: %v", err)
	}
}

func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// TestLoadErrors damages a saved model in each way and checks the message;
// the model a failed LoadWeights was given stays as it was.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	m := mlp()
	good := filepath.Join(dir, "good.safetensors")
	if err := saving.Save(m, good); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, ts []safetensors.Tensor, meta map[string]string) string {
		p := filepath.Join(dir, name)
		if err := safetensors.WriteFile(p, ts, meta); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wrongShape := append([]safetensors.Tensor(nil), f.Tensors...)
	wrongShape[3] = safetensors.Tensor{Name: "dense_1/bias", Shape: []int{2, 5}, Data: make([]float32, 10)}
	withMeta := func(k, v string) map[string]string {
		meta := map[string]string{}
		for k, v := range f.Metadata {
			meta[k] = v
		}
		meta[k] = v
		return meta
	}
	whole, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.safetensors")
	os.WriteFile(truncated, whole[:len(whole)-100], 0o644)

	cases := []struct {
		name, path, want string
	}{
		{"truncated", truncated, "the file is truncated: 100 bytes are missing"},
		{"missing tensor", write("missing.safetensors", f.Tensors[:3], f.Metadata), `missing tensor "dense_1/bias" of shape [10]`},
		{"wrong shape", write("shape.safetensors", wrongShape, f.Metadata), `tensor "dense_1/bias" has shape [2 5], the model expects [10]`},
		{"extra tensor", write("extra.safetensors", append(f.Tensors[:4:4], safetensors.Tensor{Name: "dense_2/kernel", Shape: []int{1}, Data: []float32{1}}), f.Metadata), `unexpected tensor "dense_2/kernel"`},
		{"not goras", write("plain.safetensors", f.Tensors, nil), "not a goras model file"},
		{"bad architecture", write("arch.safetensors", f.Tensors, withMeta("architecture", `{"class_name": "MyModel", "config": {"layers": [{}]}}`)), `architecture is a "MyModel"`},
		{"functional without layers", write("empty.safetensors", f.Tensors, withMeta("architecture", `{"class_name": "Functional"}`)), `the Functional architecture has no layers`},
		{"unknown layer", write("layer.safetensors", f.Tensors, withMeta("architecture", strings.Replace(f.Metadata["architecture"], `"Flatten"`, `"Flatten3D"`, 1))), `unknown layer class "Flatten3D"`},
		{"absurd layer size", write("huge.safetensors", f.Tensors, withMeta("architecture", `{"class_name":"Sequential","config":{"name":"s","layers":[{"class_name":"InputLayer","config":{"batch_shape":[null,1073741824]}},{"class_name":"Dense","config":{"units":1073741824}}]}}`)), "the architecture does not build"},
		{"bad seed", write("seed.safetensors", f.Tensors, withMeta("seed", "-1")), `seed "-1" is not an unsigned integer`},
		{"bad compile", write("compile.safetensors", f.Tensors, withMeta("compile", `{"loss": {"class_name": "hinge2", "config": {}}, "optimizer": {"class_name": "SGD", "config": {}}}`)), `unknown loss "hinge2"`},
		{"unrestorable optimizer", write("opt.safetensors", f.Tensors, withMeta("compile", `{"loss": {"class_name": "mse", "config": {}}, "optimizer": {"class_name": "SGD", "config": {"gradient_accumulation_steps": 4}}}`)), `"gradient_accumulation_steps" = 4 is not supported by goras`},
		{"missing file", filepath.Join(dir, "nope.safetensors"), "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := saving.Load(c.path)
			if err == nil || !strings.HasPrefix(err.Error(), "goras: ") || !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("saving.Load error %v\nwant it to name the file and contain %q", err, c.want)
			}
		})
	}
	// LoadWeights checks the same way and leaves the model untouched.
	before := predict(t, m, tensor.New(1, 28, 28))
	for _, p := range []string{cases[1].path, cases[2].path, cases[3].path} {
		if err := saving.LoadWeights(m, p); err == nil {
			t.Errorf("LoadWeights(%s) accepted", p)
		}
	}
	sameBits(t, "after failed LoadWeights", predict(t, m, tensor.New(1, 28, 28)), before)
	// A plain file with the right names loads.
	if err := saving.LoadWeights(m, cases[4].path); err != nil {
		t.Errorf("LoadWeights of a plain file with the right names: %v", err)
	}
}

// TestSaveLoadLeNetAndBatchNorm round-trips the course's LeNet-5 and a model
// with BatchNormalization (whose moving statistics are non-trainable state)
// and Dropout, after training steps have moved every weight and statistic.
func TestSaveLoadLeNetAndBatchNorm(t *testing.T) {
	models := map[string]func() *goras.Model{
		"lenet5": func() *goras.Model {
			return goras.NewSequential(
				layers.Input(28, 28, 1),
				layers.Conv2D(6, 5, layers.WithPadding("same"), layers.WithActivation("relu")),
				layers.AveragePooling2D(2),
				layers.Conv2D(16, 5, layers.WithActivation("relu")),
				layers.MaxPooling2D(),
				layers.Flatten(),
				layers.Dense(120, layers.WithActivation("relu")),
				layers.Dense(84, layers.WithActivation("relu")),
				layers.Dense(10, layers.WithActivation("softmax")),
			)
		},
		"batchnorm_dropout": func() *goras.Model {
			return goras.NewSequential(
				layers.Input(28, 28, 1),
				layers.Flatten(),
				layers.Dense(32),
				layers.BatchNormalization(layers.WithMomentum(0.5)),
				layers.Activation("relu"),
				layers.Dropout(0.3),
				layers.Dense(10, layers.WithActivation("softmax")),
			)
		},
	}
	for name, build := range models {
		t.Run(name, func(t *testing.T) {
			m := build()
			adam, _ := optimizers.NewAdam(optimizers.LearningRate(0.01))
			m.SetSeed(3)
			if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
				t.Fatal(err)
			}
			x, y := saveData(4)
			x, _ = x.Reshape(4, 28, 28, 1)
			for range 2 {
				if _, err := m.TrainOnBatch(x, y); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(t.TempDir(), name+".safetensors")
			if err := saving.Save(m, path); err != nil {
				t.Fatal(err)
			}
			back, err := saving.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(back.Params()) != len(m.Params()) {
				t.Fatalf("%d weights, want %d", len(back.Params()), len(m.Params()))
			}
			for i, p := range m.Params() {
				if back.Params()[i].Name != p.Name || back.Params()[i].Trainable != p.Trainable {
					t.Errorf("weight %d: %s (trainable %v), want %s (%v)", i, back.Params()[i].Name, back.Params()[i].Trainable, p.Name, p.Trainable)
				}
				sameBits(t, p.Name, back.Params()[i].Value.Data(), p.Value.Data())
			}
			frozen := 0
			for _, p := range back.Params() {
				if !p.Trainable {
					frozen++
				}
			}
			if name == "batchnorm_dropout" && frozen != 2 {
				t.Errorf("%d non-trainable weights reloaded, want the 2 moving statistics", frozen)
			}
			sameBits(t, "predictions", predict(t, back, x), predict(t, m, x))
		})
	}
}

// A small file whose architecture declares huge layers is refused from the
// shapes alone, before any weight is made: Load of each allocates under a
// megabyte-scale budget and never builds the layer.
func TestLoadRefusesHugeLayersBeforeAllocating(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := saving.Save(mlp(), good); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	arch := func(input, layer string) string {
		return `{"class_name":"Sequential","config":{"name":"s","layers":[{"class_name":"InputLayer","config":{"batch_shape":[null,` + input +
			`]}},{"class_name":"Flatten","config":{}},` + layer + `]}}`
	}
	cases := []struct{ name, arch, want string }{
		{"Dense(1,000,000)", arch("28,28", `{"class_name":"Dense","config":{"units":1000000}}`), `"dense/kernel" has shape [784 50], the model expects [784 1000000]`},
		{"Dense(1e9)", arch("28,28", `{"class_name":"Dense","config":{"units":1000000000}}`), "would make samples of shape (None, 1000000000), more than 268435456 values each"},
		{"Conv2D with 1e6 filters", `{"class_name":"Sequential","config":{"name":"s","layers":[{"class_name":"InputLayer","config":{"batch_shape":[null,28,28,1]}},{"class_name":"Conv2D","config":{"filters":1000000,"kernel_size":[3,3]}}]}}`, "would make samples of shape (None, 26, 26, 1000000)"},
		{"Input of 1e5×1e5", arch("100000,100000", `{"class_name":"Dense","config":{"units":50}}`), "more than 268435456 values each"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, "huge.safetensors")
		meta := map[string]string{}
		for k, v := range f.Metadata {
			meta[k] = v
		}
		meta["architecture"] = c.arch
		if err := safetensors.WriteFile(path, f.Tensors, meta); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := saving.Load(path)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("%s: Load allocated %d MB before refusing", c.name, grew>>20)
		}
	}
}
