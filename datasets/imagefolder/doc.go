// Package imagefolder loads your own pictures for training, as
// keras.utils.image_dataset_from_directory does: a folder per class, the
// folder's name the class's.
//
//	flowers/
//	    daisy/  001.jpg 002.jpg …
//	    roses/  a.png b.png …
//	    tulips/ …
//
//	train, val, err := imagefolder.LoadSplit("flowers",
//		imagefolder.ImageSize(64, 64), imagefolder.ValidationSplit(0.2), imagefolder.Seed(1))
//	// train.X is (N, 64, 64, 3), values in [0, 1]; train.Y the class indices;
//	// train.ClassNames = [daisy roses tulips]
//	hist, err := model.Fit(ctx, train.X, train.Y, goras.ValidationData(val.X, val.Y))
//
// As in Keras: the class folders are sorted by name, so that label i means
// the same class on every machine; PNG, JPEG and GIF files (the first frame)
// anywhere under a class folder are read, other files ignored; each picture
// is resized to ImageSize (default 256×256; bilinear as TensorFlow, without
// antialiasing, or "nearest"), optionally cropped or padded to the target's
// aspect ratio first, in ColorMode "rgb" (default), "grayscale" or "rgba";
// labels are class indices (LabelMode "int"), one-hot ("categorical") or 0/1
// ("binary"); the pictures are shuffled once with Seed and ValidationSplit
// keeps the last fraction for validation (Subset "training" or
// "validation", or LoadSplit for both). Unlike Keras, values are scaled to
// [0, 1] (Rescale(1) keeps 0..255), matching package mnist's data, and BMP
// files are not read.
//
// # Memory
//
// Pictures are kept as resized bytes, height·width·channels each, up to
// CacheBytes (default 256 MiB, e.g. 85,000 pictures of 56×56 RGB). A set
// within the budget is decoded once, in parallel, by Load, and a batch is
// then a copy. A larger set is decoded as batches ask for it (one goroutine
// per core), and the first pictures decoded are kept until the budget is
// spent; they are never evicted, since training visits the pictures in a
// new random order every epoch, where no eviction rule saves decodes.
//
// # Errors
//
// Load says what is wrong before training starts: an empty folder, pictures
// outside class folders, a single class, a class folder without pictures,
// and every file that is not a picture Go can read, each named. A large set
// has its files' headers checked; Images.Verify decodes every file.
package imagefolder
