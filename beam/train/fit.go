package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/beam/internal/beamfs"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/mixedprecision"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/recipes"
	"github.com/goras-ml/goras/saving"
)

// Result is what one job measured: one row of the results table. It holds
// no test figure: a worker never reads the test set.
type Result struct {
	Job Job
	// Params is the model's weight count; Epochs the epochs trained.
	Params, Epochs int
	// Loss and Accuracy are the last epoch's on the training images
	// (with dropout and augmentation, as Fit logs them); ValLoss and
	// ValAccuracy on the validation images, the figures a sweep chooses by.
	Loss, Accuracy, ValLoss, ValAccuracy float64
	// TrainSeconds is Fit's wall time (validation included); TotalSeconds
	// adds building the model and writing its files, not loading MNIST.
	TrainSeconds, TotalSeconds float64
	// ModelFile and HistoryFile are where the model (.safetensors) and its
	// History (.json) were written.
	ModelFile, HistoryFile string
	// Worker names the machine and process that trained the job.
	Worker string
	// Precision is the mixedprecision policy the model trained in, its
	// own: its recipe's (sprint's is mixed_bfloat16), else float32; float32
	// too where bfloat16 products are not fast (with a notice on the
	// worker's standard error).
	Precision string
}

// Trained is a job's trained model, its History and its Result.
type Trained struct {
	Model   *goras.Model
	History *goras.History
	Result  Result
}

// Fit trains the job's model on its training images, validating after every
// epoch, exactly as recipes.Recipe.Run does for a recipe (the same seed gives
// the same weights, bit for bit); progress lines (Verbose 2) go to progress.
// It reads MNIST from j.Data, never its test set. Nothing is written: Save
// does that.
func Fit(ctx context.Context, j Job, progress io.Writer) (*Trained, error) {
	start := time.Now()
	if err := j.Validate(); err != nil {
		return nil, err
	}
	sp, _ := j.split() // checked by Validate
	all, _, err := loadMNIST(ctx, j.Data)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.ID, err)
	}
	trainSet, valSet := sp.sets(all)
	m, epochs, batch, err := j.build(trainSet.X.N)
	if err != nil {
		return nil, err
	}
	tx, ty, err := applications.Data(trainSet, m, m.Loss())
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.ID, err)
	}
	vx, vy, err := applications.Data(valSet, m, m.Loss())
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.ID, err)
	}
	fitStart := time.Now()
	h, err := m.Fit(ctx, tx, ty, goras.Epochs(epochs), goras.BatchSize(batch),
		goras.ValidationData(vx, vy), goras.Verbose(2), goras.Output(progress))
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.ID, err)
	}
	res := Result{Job: j, Params: m.CountParams(), Epochs: len(h.Epoch),
		TrainSeconds: time.Since(fitStart).Seconds(), TotalSeconds: time.Since(start).Seconds(), Worker: worker(),
		Precision: mixedprecision.PolicyOf(m).Name()}
	res.Loss, res.Accuracy = last(h, "loss"), last(h, "accuracy")
	res.ValLoss, res.ValAccuracy = last(h, "val_loss"), last(h, "val_accuracy")
	return &Trained{Model: m, History: h, Result: res}, nil
}

// Save writes the model to Out/ID.safetensors and its History to
// Out/ID.history.json through Beam's file systems, and records where in the
// Result.
func (t *Trained) Save(ctx context.Context) error {
	j := t.Result.Job
	start := time.Now()
	t.Result.ModelFile = beamfs.Join(j.Out, j.ID+".safetensors")
	t.Result.HistoryFile = beamfs.Join(j.Out, j.ID+".history.json")
	if err := beamfs.FromLocal(ctx, t.Result.ModelFile, func(local string) error { return saving.Save(t.Model, local) }); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if err := beamfs.Write(ctx, t.Result.HistoryFile, t.History.WriteJSON); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	t.Result.TotalSeconds += time.Since(start).Seconds()
	return nil
}

// last is the last epoch's value of a logged metric, NaN when not logged.
func last(h *goras.History, name string) float64 {
	if v, ok := h.Last(name); ok {
		return v
	}
	return math.NaN()
}

// worker names this process: host and pid.
func worker() string {
	host, err := os.Hostname()
	if err != nil {
		host = "?"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// build returns the job's compiled model with its epochs and batch size; n
// is the number of training images (a network's schedule is laid out over
// them; a recipe's over recipes.TrainSamples, as Recipe.Build does).
//
// The model has a precision policy of its own (mixedprecision.SetPolicy):
// its recipe's, else float32. Never the global policy, which is one for
// the process while a worker trains several jobs at once: a job setting
// it would change the precision of the plans its neighbours build (at
// their first batch of each size).
func (j Job) build(n int) (m *goras.Model, epochs, batch int, err error) {
	if j.Recipe != "" {
		r, _ := recipes.Get(j.Recipe) // checked by Validate
		r = j.applyRecipe(r)
		if r.Precision == "" {
			r.Precision = "float32"
		}
		m, err = r.Build(j.Seed) // gives the model r.Precision
		if err != nil {
			return nil, 0, 0, fmt.Errorf("job %s: %w", j.ID, err)
		}
		return m, r.Epochs, r.BatchSize, nil
	}
	return j.buildNetwork(n)
}

// applyRecipe returns r with the job's hyper-parameters.
func (j Job) applyRecipe(r recipes.Recipe) recipes.Recipe {
	c := &r.Config
	ints := map[string]*int{"epochs": &r.Epochs, "batch_size": &r.BatchSize, "filters1": &c.Filters[0],
		"filters2": &c.Filters[1], "convs1": &c.ConvsPerBlock[0], "convs2": &c.ConvsPerBlock[1], "dense": &c.Dense}
	floats := map[string]*float64{"dropout": &c.Dropout, "peak_rate": &c.PeakRate, "warmup_epochs": &c.WarmupEpochs,
		"label_smoothing": &c.LabelSmoothing, "rotation": &c.Rotation, "shift": &c.Shift, "zoom": &c.Zoom}
	for k, v := range j.Hyper {
		if p, ok := ints[k]; ok {
			*p = int(v)
		} else if p, ok := floats[k]; ok {
			*p = v
		}
	}
	return r
}

// buildNetwork builds a network of package applications with its own loss,
// optimizer, rate and schedule, as `goras train --model NAME` does, the
// job's hyper-parameters overriding them.
func (j Job) buildNetwork(n int) (*goras.Model, int, int, error) {
	spec, _ := applications.Get(j.Model) // checked by Validate
	epochs, batch := spec.Epochs, spec.BatchSize
	if v, ok := j.Hyper["epochs"]; ok {
		epochs = int(v)
	}
	if v, ok := j.Hyper["batch_size"]; ok {
		batch = int(v)
	}
	ls := spec.Layers()
	if rate, ok := j.Hyper["dropout"]; ok {
		ls = applications.SetDropout(ls, rate)
	}
	m := goras.NewSequential(ls...)
	m.SetSeed(j.Seed)
	if err := m.Build(); err != nil {
		return nil, 0, 0, fmt.Errorf("job %s: %w", j.ID, err)
	}
	loss, err := losses.Get(spec.Loss)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("job %s: %w", j.ID, err)
	}
	opt, err := j.optimizer(spec, int64(epochs)*int64((n+batch-1)/batch))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("job %s: %w", j.ID, err)
	}
	err = m.Compile(goras.CompileOptions{Optimizer: opt, Loss: loss, Metrics: []string{"accuracy"}})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("job %s: %w", j.ID, err)
	}
	if _, err := mixedprecision.SetPolicy(m, "float32"); err != nil { // see build
		return nil, 0, 0, fmt.Errorf("job %s: %w", j.ID, err)
	}
	return m, epochs, batch, nil
}

// optimizer is the network's optimizer at its rate (or the job's
// learning_rate) under its schedule, through the optimizer's Keras config.
func (j Job) optimizer(spec applications.Spec, steps int64) (optimizers.Optimizer, error) {
	def, err := optimizers.Get(spec.Optimizer)
	if err != nil {
		return nil, err
	}
	lr := def.LearningRate()
	if spec.LearningRate > 0 {
		lr = spec.LearningRate
	}
	if v, ok := j.Hyper["learning_rate"]; ok {
		lr = v
	}
	cfg := map[string]any{"learning_rate": lr}
	switch spec.Schedule {
	case "":
	case "cosine":
		s, err := schedules.FromConfig("CosineDecay", map[string]any{"initial_learning_rate": lr, "decay_steps": max(steps, 1), "alpha": 0.0})
		if err != nil {
			return nil, err
		}
		cfg["learning_rate"] = schedules.Serialize(s)
	default:
		return nil, fmt.Errorf("network %s trains under schedule %q, which goras-beam does not lay out; train it with goras train", spec.Name, spec.Schedule)
	}
	return optimizers.FromConfig(spec.Optimizer, cfg)
}
