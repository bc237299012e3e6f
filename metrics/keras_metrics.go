package metrics

// Keras's metrics beyond accuracy, registered under Keras 3's names (the
// strings keras.metrics.get resolves: the functions' and snake-cased
// classes' names, and the aliases mae and mse) plus rmse, goras's short
// name for root_mean_squared_error. Each is logged under the name it was
// asked by.
func init() {
	for name, fn := range map[string]func(string) func(pred, target []int) (Metric, error){
		"mae":                 func(n string) func(p, t []int) (Metric, error) { return newMeanError(n, errAbsolute) },
		"mean_absolute_error": func(n string) func(p, t []int) (Metric, error) { return newMeanError(n, errAbsolute) },
		"mse":                 func(n string) func(p, t []int) (Metric, error) { return newMeanError(n, errSquared) },
		"mean_squared_error":  func(n string) func(p, t []int) (Metric, error) { return newMeanError(n, errSquared) },
		"rmse":                func(n string) func(p, t []int) (Metric, error) { return newMeanError(n, errRootSquared) },
		"root_mean_squared_error": func(n string) func(p, t []int) (Metric, error) {
			return newMeanError(n, errRootSquared)
		},
		"top_k_categorical_accuracy":        func(n string) func(p, t []int) (Metric, error) { return newTopK(n, false) },
		"sparse_top_k_categorical_accuracy": func(n string) func(p, t []int) (Metric, error) { return newTopK(n, true) },
		"precision": func(n string) func(p, t []int) (Metric, error) {
			return newConfusion(n, func() Metric { return NewPrecision(n, 0.5) })
		},
		"recall": func(n string) func(p, t []int) (Metric, error) {
			return newConfusion(n, func() Metric { return NewRecall(n, 0.5) })
		},
		"auc": func(n string) func(p, t []int) (Metric, error) {
			return newConfusion(n, func() Metric { return NewAUC(n, 200) })
		},
		"f1_score": newF1,
	} {
		Register(name, fn(name))
	}
}
