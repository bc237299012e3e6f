package studio

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goras-ml/goras"
)

// exportFile is the file name GET /api/export/runs.csv suggests.
const exportFile = "goras-runs.csv"

// settingNames are TrainSettings' JSON names in the order the struct
// declares them, but "name" (the export's run column): the order of the
// export's setting columns, so that a new setting shows up without a list
// kept by hand. A setting's column is "settings." and its name, as
// pandas.json_normalize names it in GET /api/runs's JSON: the plain names
// are the metrics', and two settings share theirs with a metric (loss, the
// function, and learning_rate, which LearningRateScheduler and
// ReduceLROnPlateau log every epoch).
var settingNames = func() []string {
	var names []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[TrainSettings]()) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" && name != "name" {
			names = append(names, name)
		}
	}
	return names
}()

// settingValues is a run's settings as the export writes them, by JSON
// name; a setting left zero is missing, as run.json leaves it out.
func settingValues(t *TrainSettings) map[string]string {
	out := map[string]string{}
	if t == nil {
		return out
	}
	v := reflect.ValueOf(*t)
	for _, f := range reflect.VisibleFields(v.Type()) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fv := v.FieldByIndex(f.Index)
		if !slices.Contains(settingNames, name) || fv.IsZero() {
			continue
		}
		switch fv.Kind() {
		case reflect.String:
			out[name] = fv.String()
		case reflect.Int, reflect.Int64, reflect.Int32:
			out[name] = strconv.FormatInt(fv.Int(), 10)
		case reflect.Uint, reflect.Uint64, reflect.Uint32:
			out[name] = strconv.FormatUint(fv.Uint(), 10)
		case reflect.Float64, reflect.Float32:
			out[name] = formatNum(fv.Float())
		default:
			panic("studio: TrainSettings field " + f.Name + " has a kind the export cannot write: " + fv.Kind().String())
		}
	}
	return out
}

// formatNum writes a number so that strconv.ParseFloat reads it back
// exactly: NaN (an epoch that did not log a name) as "NaN", infinities as
// "+Inf" and "-Inf", as History.WriteCSV does.
func formatNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// exportRun is one run of the export: what GET /api/runs says of it and
// its History (empty when it could not be read: rj.Error says why).
type exportRun struct {
	rj       runJSON
	settings map[string]string
	hist     *goras.History
}

// exportRuns answers every run of the runs folder as one CSV, one row per
// run per epoch: the runs in GET /api/runs's order (newest first), each
// one's epochs ascending, a run without epochs (an upload, a run whose
// history is missing or unreadable) in one row with no epoch. Columns:
//
//	run, source, state, the settings (settings.network always, then
//	settings.NAME for every other setting some run has, in TrainSettings'
//	order), epoch (from 0, as Keras's CSVLogger), the metrics (every name
//	some run's history logged, sorted), seconds, error
//
// A cell a run has no value for is empty; error is the run's error as GET
// /api/runs says it (its history could not be read, its run.json is
// broken, it failed), on each of its rows. The CSV is built whole before
// it is sent, so that a failure is answered as a JSON error, not as a cut
// file.
//
// Its path is not under /api/runs/: a run may be named "export.csv" or
// "runs.csv" (a name may hold dots), and GET /api/runs/{name} must go on
// answering such a run rather than the export.
func (s *Server) exportRuns(w http.ResponseWriter, _ *http.Request) error {
	found, err := s.runs.scan()
	if err != nil {
		return err
	}
	var runs []exportRun
	hasSetting := map[string]bool{"network": true}
	hasMetric := map[string]bool{}
	for _, name := range sortedNames(found) {
		rj, h := s.describeRun(found[name])
		er := exportRun{rj: rj, settings: settingValues(rj.Settings), hist: h}
		for k := range er.settings {
			hasSetting[k] = true
		}
		for k := range h.History {
			hasMetric[k] = true
		}
		runs = append(runs, er)
	}
	header := []string{"run", "source", "state"}
	var settings []string
	for _, k := range settingNames {
		if hasSetting[k] {
			settings = append(settings, k)
			header = append(header, "settings."+k)
		}
	}
	header = append(header, "epoch")
	metrics := make([]string, 0, len(hasMetric))
	for k := range hasMetric {
		metrics = append(metrics, k)
	}
	sort.Strings(metrics)
	// A history may log a name that is a column already (a CSVLogger file
	// is anyone's, and may log "epoch" or "run"): its column is
	// "metric:NAME", so that no two columns share a name.
	taken := map[string]bool{"seconds": true, "error": true}
	for _, c := range header {
		taken[c] = true
	}
	for _, k := range metrics {
		c := k
		for taken[c] {
			c = "metric:" + c
		}
		taken[c] = true
		header = append(header, c)
	}
	header = append(header, "seconds", "error")

	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(header)
	for _, r := range runs {
		fixed := []string{r.rj.Name, r.rj.Source, r.rj.State}
		for _, k := range settings {
			fixed = append(fixed, r.settings[k])
		}
		h := r.hist
		if len(h.Epoch) == 0 {
			row := append(slices.Clone(fixed), make([]string, 1+len(metrics)+1)...)
			cw.Write(append(row, r.rj.Error))
			continue
		}
		order := make([]int, len(h.Epoch))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return h.Epoch[order[a]] < h.Epoch[order[b]] })
		for _, i := range order {
			row := append(slices.Clone(fixed), strconv.Itoa(h.Epoch[i]))
			for _, k := range metrics {
				row = append(row, cell(h.History[k], i))
			}
			cw.Write(append(row, cell(h.Seconds, i), r.rj.Error))
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportFile+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err = w.Write(buf.Bytes())
	return err
}

// cell is series[i] as the export writes it: empty when the run has no
// such series (nil) or it is shorter than the run's epochs.
func cell(series []float64, i int) string {
	if i >= len(series) {
		return ""
	}
	return formatNum(series[i])
}
