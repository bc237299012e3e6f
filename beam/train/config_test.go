package train

import (
	"reflect"
	"strings"
	"testing"
)

// perRun are the fields of Job that Config leaves out on purpose: they tell
// the runs of one configuration apart. Every other field is in Config.
var perRun = map[string]bool{"ID": true, "Seed": true, "Fold": true, "Out": true}

// configBase is a valid job whose every field configSamples changes.
var configBase = Job{ID: "base", Recipe: "fast", Seed: 1, Hyper: map[string]float64{"epochs": 2},
	Train: 2000, Validation: 500, Out: "out"}

// configSamples give, per field of Job, configBase another value of it
// that Validate accepts (changing other fields only where the new value
// needs it).
var configSamples = map[string]func(*Job){
	"ID":     func(j *Job) { j.ID = "other" },
	"Recipe": func(j *Job) { j.Recipe = "sprint" },
	"Model": func(j *Job) {
		j.Recipe, j.Model, j.Hyper = "", "mlp", map[string]float64{"learning_rate": 0.01, "epochs": 2}
	},
	"Seed":       func(j *Job) { j.Seed = 7 },
	"Hyper":      func(j *Job) { j.Hyper = map[string]float64{"dense": 64, "dropout": 0.3, "peak_rate": 1e-3 / 3} },
	"Data":       func(j *Job) { j.Data = "memfs://my runs/x=1 data=mnist " },
	"Train":      func(j *Job) { j.Train = 1500 },
	"Validation": func(j *Job) { j.Validation = 400 },
	"Folds":      func(j *Job) { j.Folds, j.Fold, j.Validation = 3, 1, 0 },
	"Fold":       func(j *Job) { j.Folds, j.Fold, j.Validation = 3, 2, 0 },
	"Out":        func(j *Job) { j.Out = "gs://elsewhere" },
}

// fromConfig is ParseConfig(j.Config()) with j's per-run fields.
func fromConfig(t *testing.T, j Job) Job {
	t.Helper()
	back, err := ParseConfig(j.Config())
	if err != nil {
		t.Fatalf("ParseConfig(%q): %v", j.Config(), err)
	}
	src, dst := reflect.ValueOf(j), reflect.ValueOf(&back).Elem()
	for name := range perRun {
		dst.FieldByName(name).Set(src.FieldByName(name))
	}
	return back
}

// Every field of Job, found by reflection, so that a field added later
// fails here until it has a sample and Config and ParseConfig carry it (or
// it is per-run): a job changed in that field alone reads back from its
// Config as itself, and its Config differs from the job's without the
// change exactly when the field is not per-run.
func TestConfigRoundTripsEveryField(t *testing.T) {
	typ := reflect.TypeOf(Job{})
	for name := range perRun {
		if _, ok := typ.FieldByName(name); !ok {
			t.Errorf("perRun names %s, which Job no longer has", name)
		}
	}
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		sample, ok := configSamples[name]
		if !ok {
			t.Errorf("Job.%s has no sample in configSamples: give it one, and carry it in Config and ParseConfig unless it tells the runs of one configuration apart (then add it to perRun)", name)
			continue
		}
		j := configBase
		sample(&j)
		if err := j.Validate(); err != nil {
			t.Fatalf("%s's sample: %v", name, err)
		}
		field := reflect.ValueOf(&j).Elem().Field(i)
		if reflect.DeepEqual(field.Interface(), reflect.ValueOf(configBase).Field(i).Interface()) {
			t.Fatalf("%s's sample keeps the base's value %v", name, field)
		}
		if back := fromConfig(t, j); !reflect.DeepEqual(back, j) {
			t.Errorf("%s: Config %q reads back as\n%+v, want\n%+v", name, j.Config(), back, j)
		}
		without := j
		reflect.ValueOf(&without).Elem().Field(i).Set(reflect.ValueOf(configBase).Field(i))
		if same := without.Config() == j.Config(); same != perRun[name] {
			t.Errorf("%s: Config %q with the field changed, %q without; per-run: %v", name, j.Config(), without.Config(), perRun[name])
		}
	}
	// Every field set at once (Validation must be 0 with folds), and none.
	all := Job{ID: "all", Recipe: "best", Seed: 3, Hyper: map[string]float64{"zoom": 0.05, "epochs": 1}, Data: "/tmp/mnist",
		Train: 1500, Folds: 5, Fold: 4, Out: "o"}
	for _, j := range []Job{all, {Recipe: "fast"}, {Model: "lenet5", Train: 100, Validation: 10}} {
		if back := fromConfig(t, j); !reflect.DeepEqual(back, j) {
			t.Errorf("Config %q reads back as\n%+v, want\n%+v", j.Config(), back, j)
		}
	}
	if c := all.Config(); c != "best epochs=1 zoom=0.05 train=1500 folds=5 data=/tmp/mnist" {
		t.Errorf("Config %q", c)
	}
}

// Config's own keys are no hyper-parameter's, and ParseConfig refuses what
// Config never writes.
func TestParseConfigErrors(t *testing.T) {
	for _, recipe := range []bool{true, false} {
		for _, k := range HyperNames(recipe) {
			if k == "train" || k == "validation" || k == "folds" || k+"=" == configData {
				t.Errorf("hyper-parameter %s has the name of a Config key", k)
			}
		}
	}
	for config, msg := range map[string]string{
		"":                  "want a recipe or network name first",
		" dense=1":          "want a recipe or network name first",
		"fast dense":        "want NAME=VALUE settings",
		"fast  dense=1":     "want NAME=VALUE settings",
		"fast dense=x":      "hyper-parameter dense must be a number",
		"fast train=1.5":    "train counts images or folds and must be a whole number",
		"fast folds=3 =2":   "want NAME=VALUE settings",
		"fast validation=-": "validation counts images or folds",
	} {
		if _, err := ParseConfig(config); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseConfig(%q) = %v, want an error saying %q", config, err, msg)
		}
	}
}
