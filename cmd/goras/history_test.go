package main

import (
	"encoding/csv"
	"os"
	"slices"
	"strconv"
	"testing"
)

// Reading the --history CSV files goras train writes.

// readCSV reads a --history CSV file into its header and rows.
func readCSV(t *testing.T, path string) (header []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil || len(all) < 2 {
		t.Fatalf("history %s: %v, %d lines", path, err, len(all))
	}
	return all[0], all[1:]
}

// column returns the values of the named column.
func column(t *testing.T, header []string, rows [][]string, name string) []float64 {
	t.Helper()
	i := slices.Index(header, name)
	if i < 0 {
		t.Fatalf("history has no %s column: %v", name, header)
	}
	out := make([]float64, len(rows))
	for j, row := range rows {
		v, err := strconv.ParseFloat(row[i], 64)
		if err != nil {
			t.Fatalf("history row %d, %s = %q", j, name, row[i])
		}
		out[j] = v
	}
	return out
}
