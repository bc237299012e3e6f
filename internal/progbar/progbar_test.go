package progbar

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clock is a fake time source: the bar reads c.t, tests move it.
type clock struct{ t time.Time }

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newClock() *clock                  { return &clock{t: t0} }
func (c *clock) now() time.Time         { return c.t }
func (c *clock) at(since time.Duration) { c.t = t0.Add(since) }

// cells is n bar cells; the golden strings below use it only for legibility.
func cells(n int) string { return strings.Repeat("━", n) }

var (
	early = []Metric{{"accuracy", 0.1}, {"loss", 2.3}}
	mid   = []Metric{{"accuracy", 0.8}, {"loss", 0.5}}
	final = []Metric{{"accuracy", 0.98664}, {"loss", 0.05704}, {"val_accuracy", 0.98771}, {"val_loss", 0.05186}}
)

// epoch runs one 469-step epoch: step 1 takes 100 ms, every later step 10 ms,
// so the ETA at step 237 is 2.32 s and the epoch lasts 4.78 s.
func epoch(b *Bar, c *clock) {
	c.at(100 * time.Millisecond)
	b.Update(1, early)
	for step := 2; step <= 237; step++ {
		c.at(100*time.Millisecond + time.Duration(step-1)*10*time.Millisecond)
		b.Update(step, mid)
	}
	c.at(100*time.Millisecond + 468*10*time.Millisecond)
	b.Finish(final)
}

func TestVerbose1InteractiveColor(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	var out bytes.Buffer
	c := newClock()
	b := New(&out, 469, 1, true, WithClock(c.now))
	c.at(100 * time.Millisecond)
	b.Update(1, early)
	c.at(100*time.Millisecond + 236*10*time.Millisecond)
	b.Update(237, mid)
	c.at(100*time.Millisecond + 468*10*time.Millisecond)
	b.Finish(final)
	want := "\r\x1b[1m  1/469\x1b[0m \x1b[37m" + cells(20) + "\x1b[0m \x1b[1m46s\x1b[0m 100ms/step - accuracy: 0.1000 - loss: 2.3000" +
		"\r\x1b[1m237/469\x1b[0m \x1b[32m" + cells(10) + "\x1b[0m\x1b[37m" + cells(10) + "\x1b[0m \x1b[1m2s\x1b[0m 10ms/step - accuracy: 0.8000 - loss: 0.5000  " +
		"\r\x1b[1m469/469\x1b[0m \x1b[32m" + cells(20) + "\x1b[0m\x1b[37m\x1b[0m \x1b[1m5s\x1b[0m 10ms/step - accuracy: 0.9866 - loss: 0.0570 - val_accuracy: 0.9877 - val_loss: 0.0519\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestVerbose1InteractiveNoColor(t *testing.T) {
	want := "\r  1/469 " + cells(20) + " 46s 100ms/step - accuracy: 0.1000 - loss: 2.3000" +
		"\r237/469 " + cells(20) + " 2s 10ms/step - accuracy: 0.8000 - loss: 0.5000  " +
		"\r469/469 " + cells(20) + " 5s 10ms/step - accuracy: 0.9866 - loss: 0.0570 - val_accuracy: 0.9877 - val_loss: 0.0519\n"
	run := func(opts ...Option) string {
		var out bytes.Buffer
		c := newClock()
		b := New(&out, 469, 1, true, append(opts, WithClock(c.now))...)
		c.at(100 * time.Millisecond)
		b.Update(1, early)
		c.at(100*time.Millisecond + 236*10*time.Millisecond)
		b.Update(237, mid)
		c.at(100*time.Millisecond + 468*10*time.Millisecond)
		b.Finish(final)
		return out.String()
	}
	t.Run("option", func(t *testing.T) {
		t.Setenv("NO_COLOR", "")
		if got := run(NoColor()); got != want {
			t.Errorf("got\n%q\nwant\n%q", got, want)
		}
	})
	t.Run("env", func(t *testing.T) {
		t.Setenv("NO_COLOR", "1")
		if got := run(); got != want {
			t.Errorf("got\n%q\nwant\n%q", got, want)
		}
	})
}

func TestVerbose1NonInteractive(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, 469, 1, false, WithClock(c.now))
	epoch(b, c)
	want := "469/469 " + cells(20) + " 5s 10ms/step - accuracy: 0.9866 - loss: 0.0570 - val_accuracy: 0.9877 - val_loss: 0.0519\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestVerbose2(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, 469, 2, true, WithClock(c.now))
	epoch(b, c)
	// Keras does not update a verbose-2 bar per batch, so the time per
	// step includes the slow first step: 4.78 s / 469 = 10.19 ms.
	want := "469/469 - 5s - 10ms/step - accuracy: 0.9866 - loss: 0.0570 - val_accuracy: 0.9877 - val_loss: 0.0519\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestVerbose0(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, 469, 0, true, WithClock(c.now))
	epoch(b, c)
	if out.Len() != 0 {
		t.Errorf("verbose 0 wrote %q", out.String())
	}
}

func TestFinishOnce(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, 3, 1, false, WithClock(c.now))
	c.at(3 * time.Second)
	b.Finish(nil)
	b.Finish(nil)
	b.Update(3, nil)
	if want := "3/3 " + cells(20) + " 3s 1s/step\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestUnknownTarget(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, 0, 1, true, WithClock(c.now), NoColor())
	c.at(2 * time.Second)
	b.Update(1, nil)
	c.at(3 * time.Second)
	b.Update(2, nil)
	c.at(4 * time.Second)
	b.Finish(nil)
	want := "\r      1/Unknown 2s 2s/step" +
		"\r      2/Unknown 3s 1s/step" +
		"\r2/2 " + cells(20) + " 4s 2s/step\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestStepCounterPadding(t *testing.T) {
	for _, tc := range []struct {
		step, target int
		want         string
	}{
		{3, 9, "3/9"},
		{3, 10, " 3/10"},
		{7, 1000, "   7/1000"},
		{1000, 1000, "1000/1000"},
		{42, 60000, "   42/60000"},
	} {
		if got := string(appendCount(nil, tc.step, tc.target)); got != tc.want {
			t.Errorf("appendCount(%d, %d) = %q, want %q", tc.step, tc.target, got, tc.want)
		}
	}
	// And in a drawn line, with the bar's partial fill.
	var out bytes.Buffer
	c := newClock()
	b := New(&out, 1000, 1, true, WithClock(c.now), NoColor())
	c.at(time.Second)
	b.Update(7, nil)
	if want := "\r   7/1000 " + cells(20) + " 2:21 143ms/step"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestStepTime(t *testing.T) {
	for _, tc := range []struct {
		sec  float64
		want string
	}{
		{0, " 0s/step"},
		{1, " 1s/step"},
		{2.4, " 2s/step"},
		{2.5, " 2s/step"}, // Python rounds half to even, so does strconv
		{3.5, " 4s/step"},
		{0.9996, " 1000ms/step"},
		{0.0042, " 4ms/step"},
		{0.001, " 1ms/step"},
		{0.00099, " 990us/step"},
		{0.00025, " 250us/step"},
		{3e-7, " 0us/step"},
	} {
		if got := string(appendStepTime(nil, tc.sec)); got != tc.want {
			t.Errorf("appendStepTime(%v) = %q, want %q", tc.sec, got, tc.want)
		}
	}
}

func TestETA(t *testing.T) {
	for _, tc := range []struct {
		sec  float64
		want string
	}{
		{0, "0s"},
		{0.9, "0s"},
		{45.9, "45s"},
		{60, "60s"},
		{60.5, "1:00"},
		{125, "2:05"},
		{3599.9, "59:59"},
		{3600, "60:00"},
		{3725.7, "1:02:05"},
		{36061, "10:01:01"},
	} {
		if got := string(appendETA(nil, tc.sec)); got != tc.want {
			t.Errorf("appendETA(%v) = %q, want %q", tc.sec, got, tc.want)
		}
	}
	// Hours through a bar: step 1 took 1 s, 9999 steps remain.
	var out bytes.Buffer
	c := newClock()
	b := New(&out, 10000, 1, true, WithClock(c.now), NoColor())
	c.at(time.Second)
	b.Update(1, nil)
	if want := "\r    1/10000 " + cells(20) + " 2:46:39 1s/step"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestValueFormat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0.98664, "0.9866"},
		{0.05705, "0.0570"}, // 0.05705 is just below the tie in binary
		{1234.56789, "1234.5679"},
		{-0.5, "-0.5000"},
		{0.0011, "0.0011"},
		{0.001, "1.0000e-03"},
		{1e-4, "1.0000e-04"},
		{-2e-5, "-2.0000e-05"},
		{0, "0.0000e+00"},
		{1e-300, "1.0000e-300"},
		{math.NaN(), "nan"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	} {
		if got := string(appendValue(nil, tc.v)); got != tc.want {
			t.Errorf("appendValue(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestRateLimit(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, 100, 1, true, WithClock(c.now), NoColor())
	draws := func() int { return strings.Count(out.String(), "\r") }
	c.at(10 * time.Millisecond)
	b.Update(1, nil)
	c.at(40 * time.Millisecond)
	b.Update(2, nil) // 30 ms after the last draw: skipped
	if n := draws(); n != 1 {
		t.Fatalf("two updates within %v drew %d times, want 1", Interval, n)
	}
	c.at(60 * time.Millisecond)
	b.Update(3, nil) // exactly Interval after the last draw: drawn
	if n := draws(); n != 2 {
		t.Fatalf("update %v after the last draw: %d draws, want 2", Interval, n)
	}
	c.at(61 * time.Millisecond)
	b.Finish(nil) // always drawn
	if n := draws(); n != 3 {
		t.Fatalf("Finish: %d draws, want 3", n)
	}
}

func TestUpdateAllocs(t *testing.T) {
	c := newClock()
	b := New(io.Discard, 1000, 1, true, WithClock(c.now))
	m := []Metric{{"accuracy", 0.5}, {"loss", 1e-4}}
	c.at(time.Second)
	b.Update(1, m)
	step := 1
	if n := testing.AllocsPerRun(100, func() {
		step++
		b.Update(step, m) // clock stands still: no redraw
	}); n != 0 {
		t.Errorf("Update without redraw: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		step++
		c.t = c.t.Add(Interval)
		b.Update(step, m) // redraw into the reused buffer
	}); n != 0 {
		t.Errorf("Update with redraw: %v allocs, want 0", n)
	}
}

func TestVisibleWidth(t *testing.T) {
	line := "\x1b[1m 7/10\x1b[0m \x1b[32m━━\x1b[0m - é: 1"
	if got, want := visibleWidth([]byte(line)), len(" 7/10 ━━ - é: 1")-2*2-1; got != want {
		t.Errorf("visibleWidth = %d, want %d", got, want)
	}
}

func TestEpochHeader(t *testing.T) {
	var out bytes.Buffer
	EpochHeader(&out, 1, 1)
	EpochHeader(&out, 3, 10)
	if want := "Epoch 3/10\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("IsTerminal(regular file) = true")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if IsTerminal(null) {
		t.Error("IsTerminal(os.DevNull) = true")
	}
	if IsTerminal(nil) {
		t.Error("IsTerminal(nil) = true")
	}
}
