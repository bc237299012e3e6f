package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Stat is a mean over seeds and its spread, the sample standard deviation
// (NaN for a single seed).
type Stat struct{ Mean, SD float64 }

// statOf is the Stat of f over runs; NaN values (a validation accuracy not
// measured) give a NaN mean.
func statOf(runs []*Run, f func(*Run) float64) Stat {
	var sum float64
	for _, r := range runs {
		sum += f(r)
	}
	n := float64(len(runs))
	s := Stat{Mean: sum / n, SD: math.NaN()}
	if len(runs) > 1 {
		var ss float64
		for _, r := range runs {
			ss += (f(r) - s.Mean) * (f(r) - s.Mean)
		}
		s.SD = math.Sqrt(ss / (n - 1))
	}
	return s
}

// Row is one line of the table: a cure at its chosen setting, over seeds.
// Accuracies and the gap are fractions (0.9 is 90 %).
type Row struct {
	Family, Setting string
	Seeds           int
	// Gap is Train − Test, run by run; its mean is Train.Mean − Test.Mean.
	Train, Val, Test, Gap Stat
	// Epochs is how many epochs ran (early stopping stops before the last),
	// MaxEpochs how many could have.
	Epochs    Stat
	MaxEpochs int
}

// summarize makes the row of runs of one setting, their test read.
func summarize(runs []*Run) Row {
	return Row{
		Family:    runs[0].Cure.Family,
		Setting:   runs[0].Cure.Setting(),
		Seeds:     len(runs),
		Train:     statOf(runs, func(r *Run) float64 { return r.Train }),
		Val:       statOf(runs, func(r *Run) float64 { return r.Val }),
		Test:      statOf(runs, func(r *Run) float64 { return r.Test }),
		Gap:       statOf(runs, func(r *Run) float64 { return r.Train - r.Test }),
		Epochs:    statOf(runs, func(r *Run) float64 { return float64(r.Epochs) }),
		MaxEpochs: runs[0].Cure.Epochs,
	}
}

// tableHeader names the columns of WriteTable; the test reads them back.
var tableHeader = []string{"cure", "setting", "seeds", "train acc %", "val acc %", "test acc %", "gap (train − test)", "test vs none", "epochs"}

// WriteTable prints rows as a Markdown table, accuracies in percent with
// their spread over seeds (±, one sample standard deviation), the gap in
// percentage points, and each row's test accuracy against the first row's
// (no cure), difference of means.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(tableHeader, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(tableHeader)))
	for _, r := range rows {
		delta := "—"
		if len(rows) > 0 && r.Family != rows[0].Family {
			delta = fmt.Sprintf("%+.2f", 100*(r.Test.Mean-rows[0].Test.Mean))
		}
		epochs := fmt.Sprint(r.MaxEpochs)
		switch {
		case r.Epochs.SD > 0:
			epochs = fmt.Sprintf("%.1f ± %.1f of %d", r.Epochs.Mean, r.Epochs.SD, r.MaxEpochs)
		case r.Epochs.Mean != float64(r.MaxEpochs):
			epochs = fmt.Sprintf("%.0f of %d", r.Epochs.Mean, r.MaxEpochs)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s | %s | %s |\n", r.Family, r.Setting, r.Seeds,
			percent(r.Train), percent(r.Val), percent(r.Test), percent(r.Gap), delta, epochs)
	}
}

// WriteCandidates prints every setting tried with its mean validation
// accuracy, the chosen one of each family marked.
func WriteCandidates(w io.Writer, cands []Candidate) {
	fmt.Fprintln(w, "| cure | setting | val acc % | chosen |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, c := range cands {
		mark := ""
		if c.Chosen {
			mark = "✔"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", c.Family, c.Setting, percent(c.Val), mark)
	}
}

// percent shows a Stat of fractions in percent: "89.73 ± 0.21", "89.73"
// for one seed, "—" when not measured.
func percent(s Stat) string {
	switch {
	case math.IsNaN(s.Mean):
		return "—"
	case math.IsNaN(s.SD):
		return fmt.Sprintf("%.2f", 100*s.Mean)
	}
	return fmt.Sprintf("%.2f ± %.2f", 100*s.Mean, 100*s.SD)
}
