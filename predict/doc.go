// Package predict holds what reading handwritten digits (or other
// pictures) with a trained model needs beyond Model.Predict, in one place
// for `goras predict` and the studio's Draw, Look and Predict pages:
//
//   - CheckModel: the model takes MNIST's 28×28 digits, as (28, 28),
//     (28, 28, 1) or (784), and gives one value per class;
//   - CheckProbabilities: an output row is a probability distribution, as
//     softmax gives, so that the numbers shown are probabilities;
//   - Top and Prediction: a row's most likely classes, whose JSON is what
//     `goras predict --json` prints and /api/predict answers;
//     WithClassNames adds their names for a model that has them
//     (goras.Model.ClassNames: Fashion-MNIST's, a folder's);
//   - PictureInput: the size and colour mode of the pictures a model takes,
//     for a model trained on other pictures than digits (goras train
//     --data), whose pictures are read by datasets/imagefolder.LoadImage.
//
// A picture becomes the model's input through package datasets/mnist
// (LoadImage, PrepareImage), which makes it the way MNIST's digits were
// made:
//
//	if err := predict.CheckModel(m, path, "goras predict"); err != nil { ... }
//	px, err := mnist.LoadImage("seven.png")
//	x, err := tensor.FromSlice(px, append([]int{1}, m.InputShape()...)...)
//	probs, err := m.Predict(x)
//	if err := predict.CheckProbabilities(probs.Data(), "goras predict"); err != nil { ... }
//	p := predict.Top("seven.png", probs.Data(), 3) // {File: "seven.png", Class: 7, Top: [...]}
//
// Every function may be called from many goroutines at once, also on one
// model: CheckModel and PictureInput build an unbuilt model once, as
// goras.Model.Build does.
//
// predict sits on floor 6 of the README's Layout, beside saving and datasets/mnist:
// it reads a goras.Model and imports nothing above the root package.
package predict
