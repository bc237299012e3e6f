// Package progbar draws the training progress display of Keras 3
// (keras/src/utils/progbar.py driven by callbacks/progbar_logger.py): one
// line per epoch that shows the step counter, a 20-cell bar, the ETA while
// running or the elapsed time at the end, the time per step and the metrics.
//
//	Epoch 5/6
//	788/788 ━━━━━━━━━━━━━━━━━━━━ 14s 18ms/step - accuracy: 0.9866 - loss: 0.0570 - val_accuracy: 0.9877 - val_loss: 0.0519
//
// The caller (fit, evaluate, predict) makes one Bar per epoch with New, calls
// Update after each batch and Finish once at the end of the epoch:
//
//	progbar.EpochHeader(os.Stdout, epoch, epochs) // "Epoch 3/10", only if epochs > 1
//	bar := progbar.New(os.Stdout, steps, verbose, progbar.IsTerminal(os.Stdout))
//	for step := 1; step <= steps; step++ {
//		// ... train one batch, update the running means ...
//		bar.Update(step, running)
//	}
//	bar.Finish(append(running, valMetrics...))
//
// Verbosity, as in Keras:
//
//   - 0: nothing is printed.
//   - 1 on a terminal (interactive): the line is redrawn in place with "\r"
//     at most every 50 ms (Interval), with ANSI colours: bold counter and
//     time, green done cells, white remaining cells. Update costs a clock
//     read and a compare when it does not redraw, and never allocates.
//   - 1 elsewhere (a log file, a pipe): one plain line per epoch, written by
//     Finish, with the bar and without colour codes.
//   - 2: one line per epoch, "469/469 - 2s - 4ms/step - loss: 0.0570".
//
// Metric values print as %.4f, or %.4e when |v| ≤ 1e-3 (so an exact zero
// prints 0.0000e+00, as in Keras); NaN and ±Inf print as nan, inf, -inf.
// Metrics appear in the order given; Keras 3 shows the training metrics
// sorted by name, then the val_ ones, and the caller is expected to pass them
// that way. The time per step ignores the first step once there is a second
// one (the first one usually includes warm-up), as Keras does.
//
// Deliberate differences from Keras 3:
//
//   - Values are shown as passed. Keras's Progbar averages again, over steps,
//     the running means it is given, so its mid-epoch numbers lag; the final
//     line is the same in both.
//   - Verbose 2 uses the same %.4e rule as verbose 1 (|v| ≤ 1e-3); Keras
//     forgets the absolute value there and prints any negative value in %e.
//   - A redraw starts with "\r" only; Keras also emits one backspace per
//     character of the previous line first, which changes nothing on screen.
//   - Keras on POSIX treats every stdout as a terminal and writes "\r" and
//     colour codes even into log files; here the caller says whether the
//     writer is interactive (see IsTerminal), and colour is also off when the
//     NO_COLOR environment variable is non-empty or with the NoColor option.
//
// A Bar is not safe for concurrent use. Write errors are ignored: the display
// is best-effort and must never stop training.
package progbar
