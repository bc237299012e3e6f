// Package train runs many goras trainings as one Apache Beam pipeline: the
// members of an ensemble, the points of a hyper-parameter sweep, the folds of
// a cross validation. Each element is a Job (a recipe or a network, its
// hyper-parameters, a seed, where MNIST is and where the files go); a
// worker trains it with goras (Fit, the same computation as
// recipes.Recipe.Run, so the same seed gives the same model bit for bit) and
// writes the model and its History through Beam's file systems. One
// collecting step then follows the protocol of docs/bounty.md: it chooses
// the configuration with the best mean validation accuracy and only then
// reads the test set, once, to score the chosen models alone and averaged,
// as `goras ensemble` does.
//
// Each job's model trains in its own precision policy (its recipe's,
// mixed_bfloat16 for sprint, else float32; mixedprecision.SetPolicy), never
// the process's global one, so that jobs of different precisions may train
// at once in one worker process.
//
//	s := train.Sweep{Recipe: "best-long", Seeds: train.Seeds{1, 2, 3, 4, 5}}
//	jobs, err := s.Jobs("runs/best-long")
//	report, err := train.Run(ctx, jobs, "runs/best-long", false) // prism unless --runner says otherwise
//	fmt.Print(report)
//
// Run needs beam.Init (after flag parsing) first, as every Beam program.
// The pipeline runs on prism in the calling process by default, and on
// Flink, Spark or Dataflow through Beam's flags (docs/scale.md). Workers
// never read the test set; only Collect does.
package train
