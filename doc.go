// Package goras builds, trains and runs neural networks the Keras way, in
// pure Go, on the CPU.
//
// The course's first network, line for line:
//
//	train, test, _ := mnist.LoadData()
//	xTrain, xTest := train.X.Float32(), test.X.Float32()   // x / 255
//	yTrain, _ := mnist.ToCategorical(train.Y, 10)
//	yTest, _ := mnist.ToCategorical(test.Y, 10)
//
//	model := goras.NewSequential(
//		layers.Input(28, 28),
//		layers.Flatten(),
//		layers.Dense(50, layers.WithActivation("relu")),
//		layers.Dense(10, layers.WithActivation("softmax")),
//	)
//	sgd, _ := optimizers.NewSGD(optimizers.LearningRate(0.1))
//	model.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.MeanSquaredError{}, Metrics: []string{"accuracy"}})
//	history, _ := model.Fit(ctx, xTrain, yTrain, goras.BatchSize(100), goras.Epochs(10))
//	scores, _ := model.Evaluate(xTest, yTest)
//
// Compile (or the first Fit) turns the model into a plan per batch size (see
// autograd): every buffer is allocated once, and a training step then runs
// without allocating. One seed (SetSeed) fixes the initial weights, the
// shuffling and every other random choice, so two runs are identical bit for
// bit.
package goras
